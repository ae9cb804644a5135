import type { EntityManager } from 'typeorm';
import type { Logger } from '../../scripts/logger.ts';
import type { OopsReport } from '../../oops/report.ts';
import type { Job } from '../model/job.ts';

/** A class of errors, as in `retryErrorTypes = [TemporaryNetworkError]`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** The common attributes of every job: the `job` row (see model/job.ts). */
export type IJob = Job;

/** What the runner needs of a job it runs. */
export interface IRunnableJob {
  /** The common job row. */
  readonly job: Job;
  /** Do the work, inside the transaction the runner passes; throw to steer the outcome. */
  run(manager: EntityManager): Promise<void>;
  /**
   * Optional: record a successful run() in its transaction, instead of the runner's COMPLETED
   * (a multi-step job advances to its next step, lib/services/tasks/taskJob.ts). Returns the
   * status the job is left in, or null when `owner` no longer holds it (the run is rolled back).
   */
  finishRun?(manager: EntityManager, owner: string): Promise<'COMPLETED' | 'WAITING' | null>;
  /**
   * Optional: called when the job is about to be marked FAILED, in the transaction that marks
   * it, with the error that failed it. Returns the error of a hook of its own that failed (its
   * writes rolled back; the runner files an OOPS for it and the job still fails).
   */
  beforeFailed?(manager: EntityManager, owner: string, error: Error): Promise<Error | undefined>;
  /** Key/value pairs written into an OOPS report about this job. */
  getOopsVars(): Array<[string, string]>;
  /** What the job does, for people: "frozzling Foo 'bar'". */
  getOperationDescription(): string;
  /** Errors that are the user's fault: FAILED, notifyUserError, no OOPS. */
  readonly userErrorTypes: readonly ErrorClass[];
  /** Errors worth another try: requeued after retryDelayMs while attempt_count <= job.max_retries, no OOPS. */
  readonly retryErrorTypes: readonly ErrorClass[];
  /** How long a requeued job waits before it is ready again. */
  readonly retryDelayMs: number;
  /** Hard time limit of one run, enforced only with `isolated: true`; undefined: the section's job_timeout. */
  readonly timeoutMs?: number;
  /** Called after an OOPS was filed for this job. */
  notifyOops(oops: OopsReport, logger: Logger): Promise<void>;
  /** Called when run() threw one of userErrorTypes. */
  notifyUserError(error: Error, logger: Logger): Promise<void>;
  toString(): string;
}

/** A source of runnable jobs: what a config section's source_interface names. */
export interface IJobSource {
  /** The job class name used in log lines: `Ran 1 DoFooJob jobs.` */
  readonly name: string;
  /** The job.job_type values this source runs. */
  readonly jobTypes: readonly string[];
  /** The jobs ready to run now, oldest first. */
  iterReady(manager: EntityManager): Promise<IRunnableJob[]>;
  /** Wrap job rows the runner has claimed into runnable jobs (one query for the batch). */
  fromJobs(manager: EntityManager, jobs: readonly Job[]): Promise<IRunnableJob[]>;
  /** The job types whose jobs have a failure hook (IRunnableJob.beforeFailed) to run when a
   * dead runner's job is out of tries; the runner then fails them itself, hook first. */
  readonly failureHookJobTypes?: readonly string[];
}
