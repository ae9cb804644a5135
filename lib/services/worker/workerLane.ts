import type { DataSource } from 'typeorm';
import { isConnectionError } from '../database/connectionErrors.ts';
import { toError } from '../job/interfaces/errors.ts';
import type { IJobSource } from '../job/interfaces/job.ts';
import { JobRunner, logJobCounts, type JobCounts, type JobExecutor, type JobRunnerOptions, type RunTimes } from '../job/runner.ts';
import { KeptConnection } from '../job/keptConnection.ts';
import { handBackJobs } from '../job/sql/handBackJobs.ts';
import type { Logger } from '../scripts/logger.ts';

/** How often a busy lane logs what it ran. */
export const SUMMARY_EVERY_MS = 60_000;

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
 * an insert of one of its job types, a reconnect, the slow poll). A cycle that left jobs
 * WAITING is followed at once by another: a new runner claims again the jobs the last one
 * started (the next step of a multi-step job, a retry that is due), which one runner never
 * does in a run.
 * A cycle that loses the database logs one line and waits for the next wake-up (a reconnect
 * of the listener, the poll). The jobs it held are covered by their leases, and more: the
 * first cycle once the database is back hands them back (WAITING, their attempt not counted)
 * before it claims, so they run again at once, here or elsewhere. A job whose end had
 * committed before the loss is not among them: it runs no more.
 */
export class WorkerLane {
  private woken = true;
  /** The next cycle also takes back dead runners' jobs and runs suspects (start-up, the poll,
   * a reconnect); a cycle started by a notification or by the last cycle's work does not. */
  private housekeepingDue = true;
  private wake: (() => void) | undefined;
  private stopping = false;
  private runner: JobRunner | undefined;
  private databaseDown = false;
  /** A cycle lost the database: the jobs it held are RUNNING under this owner, run by nobody. */
  private handBackDue = false;
  /** Jobs that completed (or advanced a step) in this lane since it started. */
  completed = 0;
  /** Per job class, the counts not yet logged: a busy worker logs them once a minute (and when
   * it stops), not after every run, which may be one job. */
  private unreported = new Map<string, JobCounts>();
  private reportedAt = Date.now();
  /** What this lane's runs have learnt of its jobs' run times, passed from run to run. */
  private readonly runTimes: RunTimes = { averageMs: new Map() };
  /** The batch connection kept from run to run: a woken lane claims without waiting for the pool. */
  private readonly keptConnection = new KeptConnection();

  constructor(readonly options: WorkerLaneOptions) {}

  get jobTypes(): readonly string[] {
    return this.options.source.jobTypes;
  }

  /** True while the lane sleeps between cycles, waiting to be woken. */
  get sleeping(): boolean {
    return this.wake !== undefined;
  }

  /** Look at the queues again as soon as the current cycle (if any) ends; `housekeeping`
   * (the poll, a reconnect): take back dead runners' jobs and run suspects in that cycle too. */
  poke(housekeeping = false): void {
    this.woken = true;
    this.housekeepingDue ||= housekeeping;
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
      // A notification says a job was inserted: its cycle claims at once, without first
      // looking for dead runners' jobs and suspects (two to three statements before the job
      // could start); the poll's cycles do that, and a long cycle's heartbeat.
      const housekeeping = this.housekeepingDue;
      this.housekeepingDue = false;
      // A run ends when a claim comes back short: a job inserted after it notifies again.
      const runner = new JobRunner({ ...this.options.runnerOptions, housekeeping, runTimes: this.runTimes, keptConnection: this.keptConnection, endOnShortClaim: true, dataSource: this.options.dataSource, logger });
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
        // A run ends when a claim finds nothing, so what it left WAITING itself (a next step,
        // a retry that is due, a job it lost) is all it could have missed: look again at once
        // for that. New jobs notify, and the poll finds the rest (a job another worker handed
        // back); a run that finished every job it took sleeps.
        if (runner.putBackCount > 0) this.woken = true;
        this.completed += runner.completedCount;
        this.count(runner.classCounts);
        if (Date.now() - this.reportedAt >= SUMMARY_EVERY_MS) this.report();
      } catch (thrown) {
        const error = toError(thrown);
        if (!isConnectionError(error)) throw error;
        this.housekeepingDue = true;
        if (!this.databaseDown) logger.warning(`[${section}] Lost the database (${error.message}); waiting for it to come back. The jobs held are handed back then.`);
        this.databaseDown = true;
        this.handBackDue = true;
      } finally {
        this.runner = undefined;
      }
    }
  }

  private count(counts: ReadonlyMap<string, JobCounts>): void {
    for (const [name, { completed, incomplete }] of counts) {
      const sum = this.unreported.get(name) ?? { completed: 0, incomplete: 0 };
      this.unreported.set(name, { completed: sum.completed + completed, incomplete: sum.incomplete + incomplete });
    }
  }

  /** Log the counts since the last report (`Ran N <class> jobs.`), if any. */
  report(): void {
    if (this.unreported.size > 0) logJobCounts(this.options.logger, this.unreported);
    this.unreported = new Map();
    this.reportedAt = Date.now();
  }

  async close(): Promise<void> {
    this.report();
    for (const executor of this.options.executors) await executor.close().catch(() => undefined);
    await this.keptConnection.release().catch(() => undefined);
    await this.options.dataSource.destroy().catch(() => undefined);
  }
}
