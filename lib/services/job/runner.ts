import { hostname } from 'node:os';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../scripts/logger.ts';
import type { OopsReport } from '../oops/report.ts';
import { SuspendJob, toError } from './interfaces/errors.ts';
import type { IJobSource, IRunnableJob } from './interfaces/job.ts';
import { statusTitle } from './interfaces/jobStatus.ts';
import type { Job } from './model/job.ts';
import { claimJobById } from './sql/claimJobById.ts';
import { claimJobs } from './sql/claimJobs.ts';
import { finishJob } from './sql/finishJob.ts';
import { requeueJob } from './sql/requeueJob.ts';
import { suspendJob } from './sql/suspendJob.ts';

/** Files an OOPS report for an error and returns it (the cron script writes it to disk). */
export type OopsFiler = (error: Error, vars: Array<[string, string]>) => Promise<OopsReport>;

export type Outcome = 'completed' | 'requeued' | 'user_error' | 'suspended' | 'oops' | 'lease_held' | 'lost';

export interface JobRunnerOptions {
  dataSource: DataSource;
  logger: Logger;
  fileOops: OopsFiler;
  /** Who claims: written to job.claimed_by. Default host:pid. */
  owner?: string;
  /** How many jobs one claim statement takes. */
  batchSize?: number;
  /** How long a claim reserves a job (renewed while it runs). */
  leaseMs?: number;
}

/** What happened to one job, and why. */
export interface JobResult {
  job: IRunnableJob;
  outcome: Outcome;
  oops?: OopsReport;
}

/**
 * Runs jobs, each in its own transaction: the job's writes and its new status commit
 * together, or neither does. Keeps Launchpad's completed_jobs / incomplete_jobs / oops_ids.
 */
export class JobRunner {
  readonly completedJobs: IRunnableJob[] = [];
  readonly incompleteJobs: IRunnableJob[] = [];
  readonly oopsIds: string[] = [];
  readonly results: JobResult[] = [];
  readonly owner: string;
  private readonly batchSize: number;
  private readonly leaseMs: number;

  constructor(private readonly options: JobRunnerOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}`;
    this.batchSize = options.batchSize ?? 50;
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  private get logger(): Logger {
    return this.options.logger;
  }

  /** Run every job of `source` that is ready now, once. */
  async runAllFromSource(source: IJobSource): Promise<void> {
    const manager = this.options.dataSource.manager;
    const [{ now }] = (await manager.query('SELECT clock_timestamp() AS now')) as Array<{ now: Date }>;
    for (;;) {
      const claimed = await claimJobs(manager, {
        jobTypes: source.jobTypes,
        limit: this.batchSize,
        leaseMs: this.leaseMs,
        owner: this.owner,
        runStartedAt: now,
      });
      if (claimed.length === 0) return;
      const jobs = await this.wrap(source, claimed);
      for (const job of jobs) await this.runClaimed(job);
    }
  }

  /** Run the given jobs (Launchpad's JobRunner(jobs).runAll()): each is claimed first, and a
   * job whose lease another runner holds is skipped and counted incomplete. */
  async runJobs(jobs: readonly IRunnableJob[]): Promise<void> {
    const manager = this.options.dataSource.manager;
    for (const job of jobs) {
      const claimed = await claimJobById(manager, job.job.id, job.leaseDurationMs, this.owner);
      if (!claimed) {
        this.logger.debug(`Skipping ${job.toString()}: its lease is held by another runner or it is not ready.`);
        this.record(job, 'lease_held');
        continue;
      }
      Object.assign(job.job, claimed);
      await this.runClaimed(job);
    }
  }

  private async wrap(source: IJobSource, claimed: Job[]): Promise<IRunnableJob[]> {
    const jobs = await source.fromJobs(this.options.dataSource.manager, claimed);
    if (jobs.length !== claimed.length) {
      // A job row without its domain row cannot run; it must not stay RUNNING either.
      const found = new Set(jobs.map((job) => job.job.id));
      for (const job of claimed.filter((job) => !found.has(job.id))) {
        await finishJob(this.options.dataSource.manager, job.id, this.owner, 'FAILED');
        this.logger.error(`Job ${job.id} of type ${job.jobType} has no row in its domain table; marked FAILED.`);
      }
    }
    return jobs;
  }

  private record(job: IRunnableJob, outcome: Outcome, oops?: OopsReport): void {
    this.results.push({ job, outcome, oops });
    if (outcome === 'completed') this.completedJobs.push(job);
    else this.incompleteJobs.push(job);
    if (oops) this.oopsIds.push(oops.id);
  }

  /** Run one claimed (RUNNING) job to its outcome. */
  private async runClaimed(job: IRunnableJob): Promise<void> {
    this.logger.debug(`Running ${job.toString()} in status ${statusTitle('WAITING')}`);
    const queryRunner = this.options.dataSource.createQueryRunner();
    await queryRunner.connect();
    let failure: Error | undefined;
    try {
      await queryRunner.startTransaction();
      await job.run(queryRunner.manager);
      if (await finishJob(queryRunner.manager, job.job.id, this.owner, 'COMPLETED')) {
        await queryRunner.commitTransaction();
        job.job.status = 'COMPLETED';
        this.record(job, 'completed');
        return;
      }
      await queryRunner.rollbackTransaction();
      this.logger.warning(`${job.toString()} was taken over by another runner (lease lost); its work was rolled back.`);
      this.record(job, 'lost');
      return;
    } catch (thrown) {
      failure = toError(thrown);
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
    } finally {
      await queryRunner.release();
    }
    await this.handleFailure(job, failure);
  }

  /** Decide what a failed run means (DESIGN.md's outcomes) and record it in its own statement. */
  private async handleFailure(job: IRunnableJob, error: Error): Promise<void> {
    const manager: EntityManager = this.options.dataSource.manager;
    const id = job.job.id;
    if (error instanceof SuspendJob) {
      await suspendJob(manager, id, this.owner);
      job.job.status = 'SUSPENDED';
      this.logger.info(`${job.toString()} suspended: ${error.message}`);
      return this.record(job, 'suspended');
    }
    const isRetry = job.retryErrorTypes.some((type) => error instanceof type);
    if (isRetry && job.job.attemptCount <= job.job.maxRetries) {
      await requeueJob(manager, id, this.owner, job.retryDelayMs);
      job.job.status = 'WAITING';
      this.logger.info(`Scheduling retry of ${job.toString()} after ${error.name}: ${error.message}`);
      return this.record(job, 'requeued');
    }
    if (job.userErrorTypes.some((type) => error instanceof type)) {
      await finishJob(manager, id, this.owner, 'FAILED');
      job.job.status = 'FAILED';
      await job.notifyUserError(error, this.logger);
      return this.record(job, 'user_error');
    }
    await finishJob(manager, id, this.owner, 'FAILED');
    job.job.status = 'FAILED';
    const oops = await this.options.fileOops(error, job.getOopsVars());
    this.logger.info(`Job resulted in OOPS: ${oops.id}`);
    await job.notifyOops(oops, this.logger);
    this.record(job, 'oops', oops);
  }

  /** Launchpad's closing lines: per job class, how many ran and how many did not complete. */
  logSummary(defaultName: string): void {
    const names = new Set(this.results.map((result) => result.job.constructor.name));
    if (names.size === 0) names.add(defaultName);
    for (const name of names) {
      const completed = this.completedJobs.filter((job) => job.constructor.name === name).length;
      const incomplete = this.incompleteJobs.filter((job) => job.constructor.name === name).length;
      this.logger.info(`Ran ${completed} ${name} jobs.`);
      if (incomplete > 0) this.logger.info(`${incomplete} ${name} jobs did not complete.`);
    }
  }
}
