import type { EntityManager } from 'typeorm';
import { toError } from '../job/interfaces/errors.ts';
import type { ErrorClass } from '../job/interfaces/job.ts';
import type { Job } from '../job/model/job.ts';
import { BaseRunnableJob } from '../job/runnableJob.ts';
import { advanceJobStep } from '../job/sql/advanceJobStep.ts';
import { completeJobStep } from '../job/sql/completeJobStep.ts';
import { saveWorkspace } from '../job/sql/saveWorkspace.ts';
import { copyWorkspace, resultingWorkspace, type Workspace } from './workspace.ts';

/**
 * One step of a multi-step job. It gets the job row, a copy of the workspace the previous step
 * left (change it in place, or return a new object) and the manager of the transaction its own
 * writes commit in, together with the step's completion. Throw to fail the job (or retry the
 * step, by the job's retry rules).
 */
export type Task = (job: Job, workspace: Workspace, manager: EntityManager) => unknown;

/** Runs once, when the job is inserted, in the creating transaction: the job has its id. It
 * may change the workspace (kept). If it throws, no job is created. */
export type CreationHook = (job: Job, workspace: Workspace, manager: EntityManager) => unknown;

/** Runs when the job fails for good, in the transaction that marks it FAILED, with the error.
 * Its workspace edits are saved with FAILED; if it throws, it gets an OOPS of its own and its
 * writes roll back, and the job is FAILED all the same. */
export type FailureHook = (job: Job, workspace: Workspace, error: Error, manager: EntityManager) => unknown;

/** What a job name stands for. */
export interface TaskJobDefinition {
  /** The steps, run in order, one per claim. */
  tasks: readonly Task[];
  onCreate?: CreationHook;
  onFailure?: FailureHook;
  /** How many times a retry error may requeue one step (attempts are counted per step). */
  maxRetries?: number;
  retryErrorTypes?: readonly ErrorClass[];
  userErrorTypes?: readonly ErrorClass[];
  retryDelayMs?: number;
  /** A JSON Schema for the initial workspace: createJob() and create_job refuse a workspace
   * that does not match it (nothing is created), the HTTP API (POST /jobs) with 400, and
   * publishes it in /openapi.json. Default: any object. */
  workspaceSchema?: Readonly<Record<string, unknown>>;
}

/**
 * A claimed multi-step job: run() runs its current step (job.step) only. On success the
 * runner calls finishRun(), which advances the job to its next step (WAITING again, ready for
 * any runner) or, after the last step, completes it, saving the workspace either way, in the
 * transaction of the step's own writes. A step that throws does not advance: earlier steps
 * never run again. Subclassed once per job name, so log lines and counts say `import_cats`.
 */
export class TaskJob extends BaseRunnableJob {
  /** The workspace the step left, saved by finishRun(). */
  private nextWorkspace: Workspace | undefined;

  constructor(
    readonly job: Job,
    readonly definition: TaskJobDefinition,
  ) {
    super();
    this.retryErrorTypes = definition.retryErrorTypes ?? [];
    this.userErrorTypes = definition.userErrorTypes ?? [];
    if (definition.retryDelayMs !== undefined) this.retryDelayMs = definition.retryDelayMs;
  }

  get stepCount(): number {
    return this.definition.tasks.length;
  }

  async run(manager: EntityManager): Promise<void> {
    const step = this.job.step;
    const task = this.definition.tasks[step];
    if (!task) throw new Error(`${this.job.jobType} job ${this.job.id} is at step ${step}, but ${this.job.jobType} has ${this.stepCount} task(s)`);
    this.nextWorkspace = undefined;
    const workspace = copyWorkspace(this.job.workspace);
    const returned = await task(this.job, workspace, manager);
    this.nextWorkspace = resultingWorkspace(workspace, returned, `task ${step + 1} of ${this.job.jobType} (${task.name || 'anonymous'})`);
  }

  async finishRun(manager: EntityManager, owner: string): Promise<'COMPLETED' | 'WAITING' | null> {
    const workspace = this.nextWorkspace ?? copyWorkspace(this.job.workspace);
    const last = this.job.step + 1 >= this.stepCount;
    const held = last
      ? await completeJobStep(manager, this.job.id, owner, workspace)
      : await advanceJobStep(manager, this.job.id, owner, workspace);
    if (!held) return null;
    Object.assign(this.job, { step: this.job.step + 1, workspace, attemptCount: last ? this.job.attemptCount : 0 });
    return last ? 'COMPLETED' : 'WAITING';
  }

  async beforeFailed(manager: EntityManager, owner: string, error: Error): Promise<Error | undefined> {
    const hook = this.definition.onFailure;
    if (!hook) return undefined;
    // The hook sees the workspace as the last completed step left it: the failed step's
    // changes rolled back with its other writes. A savepoint keeps a throwing hook's writes
    // out of the FAILED transaction.
    const workspace = copyWorkspace(this.job.workspace);
    await manager.query('SAVEPOINT task_failure_hook');
    let saved: Workspace;
    try {
      saved = resultingWorkspace(workspace, await hook(this.job, workspace, error, manager), `the failure hook of ${this.job.jobType}`);
      await saveWorkspace(manager, this.job.id, owner, saved);
      await manager.query('RELEASE SAVEPOINT task_failure_hook');
    } catch (thrown) {
      await manager.query('ROLLBACK TO SAVEPOINT task_failure_hook');
      return toError(thrown);
    }
    this.job.workspace = saved;
    return undefined;
  }

  override getOopsVars(): Array<[string, string]> {
    return [...super.getOopsVars(), ['job_step', `${this.job.step + 1} of ${this.stepCount}`]];
  }

  override getOperationDescription(): string {
    return `running step ${this.job.step + 1} of ${this.stepCount} of ${this.job.jobType}`;
  }

  override toString(): string {
    return `${this.job.jobType} (ID ${this.job.id}, step ${Math.min(this.job.step + 1, this.stepCount)} of ${this.stepCount})`;
  }
}
