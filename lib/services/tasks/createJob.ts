import type { EntityManager } from 'typeorm';
import type { Job } from '../job/model/job.ts';
import { insertTaskJob } from '../job/sql/insertTaskJob.ts';
import { setNewJobWorkspace } from '../job/sql/setNewJobWorkspace.ts';
import type { TaskJobSet } from './taskJobs.ts';
import { copyWorkspace, isWorkspace, resultingWorkspace, type Workspace } from './workspace.ts';

export interface CreateJobOptions {
  /** The initial workspace: a JSON object (default {}). */
  workspace?: Workspace;
  /** Default 'default'. */
  queueName?: string;
  /** Higher runs first within the queue; default 0. */
  priority?: number;
  /** Not run before this time; default as soon as possible. */
  scheduledStart?: Date | null;
}

/** A job name that no set defines, or a workspace that is not a JSON object or does not match
 * the job name's workspaceSchema. */
export class InvalidJobRequest extends Error {
  override name = 'InvalidJobRequest';
}

/**
 * Create a multi-step job (django-db-queue's Job.objects.create(name=..., workspace=...)) in the
 * caller's transaction: WAITING at step 0, so the first runner to claim it runs its first task.
 * The creation hook runs here, once, after the insert (it sees the job's id) and before the
 * caller commits; its workspace changes are kept. If it throws, no job is created: its insert
 * is rolled back (to a savepoint, inside a caller's transaction) and the error is rethrown.
 */
export async function createJob(manager: EntityManager, jobs: TaskJobSet, name: string, options: CreateJobOptions = {}): Promise<Job> {
  const definition = jobs.definition(name);
  if (!definition) throw new InvalidJobRequest(`unknown job name '${name}'; known job names: ${jobs.names.join(', ')}`);
  const workspace = options.workspace ?? {};
  if (!isWorkspace(workspace)) throw new InvalidJobRequest('the workspace must be a JSON object');
  if (definition.workspaceSchema) {
    // Loaded only for a job name that has a schema: a run that creates none does without Ajv.
    const { workspaceMismatch } = await import('./workspaceSchema.ts');
    const mismatch = workspaceMismatch(definition.workspaceSchema, workspace);
    if (mismatch) throw new InvalidJobRequest(`the workspace does not match the workspace schema of ${name}: ${mismatch}`);
  }
  const queueName = options.queueName ?? 'default';
  if (queueName.trim() === '') throw new InvalidJobRequest('the queue name must not be empty');
  const priority = options.priority ?? 0;
  if (!Number.isSafeInteger(priority) || priority < -(2 ** 31) || priority >= 2 ** 31) throw new InvalidJobRequest('the priority must be an integer');
  const create = async (inTransaction: EntityManager): Promise<Job> => {
    const job = await insertTaskJob(inTransaction, { jobType: name, queueName, workspace, maxRetries: definition.maxRetries ?? 0, priority, scheduledStart: options.scheduledStart ?? null });
    if (!definition.onCreate) return job;
    const given = copyWorkspace(job.workspace);
    const edited = resultingWorkspace(given, await definition.onCreate(job, given, inTransaction), `the creation hook of ${name}`);
    await setNewJobWorkspace(inTransaction, job.id, edited);
    job.workspace = edited;
    return job;
  };
  if (!manager.queryRunner?.isTransactionActive) return manager.transaction(create);
  // Inside the caller's transaction: a hook that throws must not leave the insert behind even
  // if the caller catches the error and commits.
  await manager.query('SAVEPOINT create_task_job');
  try {
    const job = await create(manager);
    await manager.query('RELEASE SAVEPOINT create_task_job');
    return job;
  } catch (error) {
    await manager.query('ROLLBACK TO SAVEPOINT create_task_job');
    throw error;
  }
}
