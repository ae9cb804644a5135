import type { DataSource } from 'typeorm';
import { isConnectionError } from '../database/connectionErrors.ts';
import { toError } from '../job/interfaces/errors.ts';
import type { IJobSource } from '../job/interfaces/job.ts';
import { JobRunner, type JobExecutor, type JobRunnerOptions } from '../job/runner.ts';
import { handBackJobs } from '../job/sql/handBackJobs.ts';
import type { Logger } from '../scripts/logger.ts';

export interface WorkerLaneOptions {
  /** The config section served, for log lines. */
  section: string;
  source: IJobSource;
  dataSource: DataSource;
  logger: Logger;
  /** What every cycle's JobRunner is made with (the same as run_jobs), queues included. */
  runnerOptions: Omit<JobRunnerOptions, 'dataSource' | 'logger'>;
  executors: JobExecutor[];
}

/**
 * One served section of a long-running worker: it drains the section's queues with a JobRunner
 * (the one run_jobs uses, with the same outcomes), then sleeps until woken (a notification of
 * an insert of one of its job types, a reconnect, the slow poll). A cycle that ran anything is
 * followed at once by another: a new runner claims again the jobs the last one started (the
 * next step of a multi-step job, a retry that is due), which one runner never does in a run.
 * A cycle that loses the database logs one line and waits for the next wake-up (a reconnect
 * of the listener, the poll). The jobs it held are covered by their leases, and more: the
 * first cycle once the database is back hands them back (WAITING, their attempt not counted)
 * before it claims, so they run again at once, here or elsewhere. A job whose end had
 * committed before the loss is not among them: it runs no more.
 */
export class WorkerLane {
  private woken = true;
  private wake: (() => void) | undefined;
  private stopping = false;
  private runner: JobRunner | undefined;
  private databaseDown = false;
  /** A cycle lost the database: the jobs it held are RUNNING under this owner, run by nobody. */
  private handBackDue = false;
  /** Jobs that completed (or advanced a step) in this lane since it started. */
  completed = 0;

  constructor(readonly options: WorkerLaneOptions) {}

  get jobTypes(): readonly string[] {
    return this.options.source.jobTypes;
  }

  /** Look at the queues again as soon as the current cycle (if any) ends. */
  poke(): void {
    this.woken = true;
    this.wake?.();
  }

  /** Claim nothing more; the running cycle lets its jobs finish and hands back unstarted ones. */
  stop(): void {
    this.stopping = true;
    this.runner?.stop();
    this.wake?.();
  }

  /** Hand back at once the claimed jobs that have not started (the grace period is over). */
  async releaseUnstarted(): Promise<number> {
    return (await this.runner?.releaseUnstarted()) ?? 0;
  }

  /** Serve until stop(); rejects only on an error that is not the database going away. */
  async run(): Promise<void> {
    const { logger, section } = this.options;
    while (!this.stopping) {
      if (!this.woken) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      this.woken = false;
      const runner = new JobRunner({ ...this.options.runnerOptions, dataSource: this.options.dataSource, logger });
      this.runner = runner;
      try {
        if (this.handBackDue) {
          // No job of this lane runs now: the lost cycle ended only once all of its had.
          const handedBack = await handBackJobs(this.options.dataSource.manager, runner.owner, [], { jobTypes: this.jobTypes, queues: runner.queues });
          this.handBackDue = false;
          logger.info(`[${section}] The database is back; handed back ${handedBack} job(s) held when it was lost (they run again; the attempt is not counted).`);
        }
        await runner.runAllFromSource(this.options.source);
        if (this.databaseDown) logger.info(`[${section}] The database is back; serving queue(s) ${runner.queues.join(', ')} again.`);
        this.databaseDown = false;
        // Something ran, or did not: either way the queues may hold more (a next step, a job
        // another worker handed back); look again at once. An empty cycle sleeps.
        if (runner.results.length > 0 || runner.completedCount > 0 || runner.oopsIds.length > 0) this.woken = true;
        this.completed += runner.completedCount;
        if (runner.completedCount > 0) runner.logSummary(this.options.source.name);
      } catch (thrown) {
        const error = toError(thrown);
        if (!isConnectionError(error)) throw error;
        if (!this.databaseDown) logger.warning(`[${section}] Lost the database (${error.message}); waiting for it to come back. The jobs held are handed back then.`);
        this.databaseDown = true;
        this.handBackDue = true;
      } finally {
        this.runner = undefined;
      }
    }
  }

  async close(): Promise<void> {
    for (const executor of this.options.executors) await executor.close().catch(() => undefined);
    await this.options.dataSource.destroy().catch(() => undefined);
  }
}
