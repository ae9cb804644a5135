import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../scripts/logger.ts';
import type { OopsFiler } from '../oops/filer.ts';
import type { OopsReport } from '../oops/report.ts';
import { isConnectionError } from '../database/connectionErrors.ts';
import { BatchTransaction } from './batchTransaction.ts';
import { errorSummary } from './errorSummary.ts';
import { failJobWithHook } from './failJobWithHook.ts';
import { SuspendJob, toError } from './interfaces/errors.ts';
import type { IJobSource, IRunnableJob } from './interfaces/job.ts';
import { statusTitle } from './interfaces/jobStatus.ts';
import type { Job } from './model/job.ts';
import { claimJobById } from './sql/claimJobById.ts';
import { claimJobs } from './sql/claimJobs.ts';
import { claimSuspectJob } from './sql/claimSuspectJob.ts';
import { finishJob } from './sql/finishJob.ts';
import { handBackJobs } from './sql/handBackJobs.ts';
import { releaseJobs } from './sql/releaseJob.ts';
import { renewLeases } from './sql/renewLeases.ts';
import { requeueJob } from './sql/requeueJob.ts';
import { recordJobFailure } from './sql/recordJobFailure.ts';
import { rescueExpiredJobs } from './sql/rescueExpiredJobs.ts';
import { selectRunningOwners } from './sql/selectRunningOwners.ts';
import { deadOwners, thisHostPrefix, thisProcessOwner } from './deadRunners.ts';
import type { KeptConnection } from './keptConnection.ts';
import { suspendJob } from './sql/suspendJob.ts';

export type { OopsFiler } from '../oops/filer.ts';

export type Outcome = 'completed' | 'advanced' | 'requeued' | 'user_error' | 'suspended' | 'oops' | 'lease_held' | 'lost' | 'released';

/** Runs one claimed job somewhere else (a child process) and reports its outcome. */
export interface JobExecutor {
  execute(job: IRunnableJob, runner: JobRunner): Promise<void>;
  close(): Promise<void>;
}

export interface JobRunnerOptions {
  dataSource: DataSource;
  logger: Logger;
  fileOops: OopsFiler;
  /** Who claims: written to job.claimed_by. Default host:pid. */
  owner?: string;
  /** How many jobs one claim statement takes. */
  batchSize?: number;
  /** How long a claim reserves a job; renewed every third of it while the job runs. */
  leaseMs?: number;
  /** How many jobs run at once. */
  concurrency?: number;
  /** Jobs of a class whose runs average under this share one transaction (a SAVEPOINT each);
   * 0 gives every job its own transaction, Infinity puts every job in the shared one. */
  quickJobMs?: number;
  /** Run each job elsewhere (isolatedWorkers.ts); default: in this process. */
  executor?: JobExecutor;
  /** Keep at most this many jobs in completedJobs, incompleteJobs and results (the counts
   * in the summary are always complete); a long run then needs no memory per job. */
  maxRecordedJobs?: number;
  /** Runs suspects (jobs a runner died holding) one at a time in a process of their own
   * (an IsolatedExecutor), beside the normal work; default: the executor, if any. Without
   * either, suspects run in this process, alone, once the rest of the run's work is done. */
  suspectExecutor?: JobExecutor;
  /** When a job crashes this process (uncaught exception, unhandled rejection), commit
   * nothing more, hand back every job held (the running ones as suspects), file an OOPS and
   * exit 1. For processes of their own (cron scripts); a library caller keeps its own handlers. */
  exitOnCrash?: boolean;
  /** Claim no more than the jobs expected to start within this long (from the average run
   * time of the jobs so far); together the concurrency loops never hold more than batchSize
   * unstarted jobs. What a killed runner strands is bounded by it. Default 1000 ms. */
  claimAheadMs?: number;
  /** Claim only jobs of these queues (job.queue_name); default ['default']. */
  queues?: readonly string[];
  /** Take back the jobs of dead runners at the start and run the waiting suspects (default
   * true). A long-running worker turns it off for the runs it starts on a notification, to
   * start a new job without those statements first, and keeps it on for its periodic runs
   * (the heartbeat of a long run still takes back expired jobs either way). */
  housekeeping?: boolean;
  /** Run times learnt by earlier runs (a long-running worker keeps one per lane and passes it
   * to every run): the first job of a class known to be quick joins a batch transaction, and
   * the first claim takes as many jobs as are expected to start within claimAheadMs, instead
   * of one. Updated as this run's jobs run. Default: a fresh one. */
  runTimes?: RunTimes;
  /** Where a long-running worker keeps a batch connection from run to run (lib/services/job/
   * keptConnection.ts). Default: none; every batch takes one from the pool and gives it back. */
  keptConnection?: KeptConnection;
  /** End a work loop when a claim takes fewer jobs than it asked for (there were no more):
   * no second claim to find the queue empty, and no other loop started to find it empty
   * either. For a long-running worker, which is woken again for jobs inserted meanwhile (a
   * notification) and looks at the queues again at once when a run left jobs WAITING; a cron
   * run keeps claiming until a claim finds nothing (default false). */
  endOnShortClaim?: boolean;
}

/** Average run times (ms, decaying): per job class, and of every job. */
export interface RunTimes {
  averageMs: Map<string, number>;
  recentJobMs?: number;
}

/** What happened to one job, and why. */
export interface JobResult {
  job: IRunnableJob;
  outcome: Outcome;
  oops?: OopsReport;
}

/**
 * Where a job's outcome statement goes (its own autocommit statement, or the batch's
 * transaction), and how to do what follows once that outcome has committed: log it, record
 * it, write its OOPS report, notify. Nothing of that happens for an outcome rolled back.
 */
type OutcomeTarget = { manager: EntityManager; afterCommit: (callback: () => void | Promise<void>) => void | Promise<void> };

/** Thrown inside a batch's savepoint when a job's own success statement finds it taken over. */
class JobTakenOver extends Error {
  override name = 'JobTakenOver';
}

/** Outcomes that leave the job WAITING (or with another runner) rather than finished. */
const PUT_BACK = new Set<Outcome>(['advanced', 'requeued', 'lost', 'lease_held', 'released']);

const AUTOCOMMIT = async (callback: () => void | Promise<void>): Promise<void> => {
  await callback();
};

/**
 * Runs jobs, each job's writes committing together with its new status. Keeps Launchpad's
 * completed_jobs / incomplete_jobs / oops_ids. Many runners may drain one queue: claims
 * use FOR UPDATE SKIP LOCKED, leases are renewed while jobs run, and jobs left RUNNING by a
 * dead runner are taken back once their lease has passed.
 */
export class JobRunner {
  readonly completedJobs: IRunnableJob[] = [];
  readonly incompleteJobs: IRunnableJob[] = [];
  readonly oopsIds: string[] = [];
  readonly results: JobResult[] = [];
  readonly owner: string;
  readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly quickJobMs: number;
  private readonly runTimes: RunTimes;
  private stopping = false;
  /** A job crashed this process: nothing more is committed; it is about to exit. */
  private crashed = false;
  private heartbeatFailed = false;
  private readonly maxRecordedJobs: number;
  /** The queues whose jobs this runner claims. */
  readonly queues: readonly string[];
  /** Jobs whose run() has started and not ended: the suspects of a crash. */
  private readonly inFlight = new Set<IRunnableJob>();
  private readonly claimAheadMs: number;
  /** Suspects this run has run (claimSuspectJob passes over them). */
  private readonly suspectsRun = new Set<number>();
  /** The lane running suspects beside the normal loops, while it runs. */
  private suspectLane: Promise<void> | undefined;
  private suspectsAgain = false;
  private suspectLaneError: unknown;
  /** Per job class: how many completed and how many did not. */
  private readonly counts = new Map<string, { completed: number; incomplete: number }>();
  /** When this run's first claim ran (the date_started it set): jobs started since are not
   * claimed again by this run. */
  private runStartedAt: Date | null = null;
  /** Jobs claimed (RUNNING, ours) that have not started: handed back when the run stops. */
  private readonly unstarted = new Set<number>();

  constructor(private readonly options: JobRunnerOptions) {
    this.owner = options.owner ?? thisProcessOwner();
    this.batchSize = options.batchSize ?? 50;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.quickJobMs = options.quickJobMs ?? 50;
    this.maxRecordedJobs = options.maxRecordedJobs ?? Infinity;
    this.claimAheadMs = options.claimAheadMs ?? 1000;
    this.queues = options.queues && options.queues.length > 0 ? [...options.queues] : ['default'];
    this.runTimes = options.runTimes ?? { averageMs: new Map() };
  }

  private get suspectExecutor(): JobExecutor | undefined {
    return this.options.suspectExecutor ?? this.options.executor;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** Claim nothing more; jobs already claimed but not started are handed back. */
  stop(): void {
    this.stopping = true;
  }

  /**
   * Hand back, now, the claimed jobs that have not started (as WAITING, their attempt not
   * counted), for a process about to exit while jobs still run (the grace period is over):
   * otherwise they would wait for their lease to pass and lose an attempt. Returns how many.
   */
  async releaseUnstarted(): Promise<number> {
    this.stopping = true;
    const ids = [...this.unstarted];
    this.unstarted.clear();
    return releaseJobs(this.options.dataSource.manager, ids, this.owner);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /**
   * Run every job of `source` that is ready now, once. Suspects (jobs a runner died holding)
   * run one at a time apart from the rest: in the suspect executor's worker process beside
   * the normal loops, or without one in this process after them. The heartbeat also takes
   * back jobs whose lease expired (their runner died) while this run goes on, so a busy
   * runner runs a dead runner's jobs within a lease and a heartbeat.
   */
  async runAllFromSource(source: IJobSource): Promise<void> {
    const housekeeping = this.options.housekeeping ?? true;
    this.runStartedAt = null;
    if (housekeeping) await this.rescueExpired(source);
    const heartbeat = setInterval(() => void this.heartbeat(source), Math.max(100, Math.floor(this.leaseMs / 3)));
    const crashGuard = this.options.exitOnCrash && !this.options.executor ? this.guardAgainstCrashes() : undefined;
    try {
      if (this.suspectExecutor && housekeeping) void this.runSuspectsBeside(source);
      // The first loop claims first: its rows' date_started is the run's start, which the
      // other loops' claims need (claimJobs.ts). When it finds nothing, neither would they.
      let firstClaimDone!: (found: boolean) => void;
      const firstClaim = new Promise<boolean>((resolve) => (firstClaimDone = resolve));
      const loops = Array.from({ length: this.concurrency }, (_, i) =>
        i === 0 ? this.workLoop(source, firstClaimDone) : firstClaim.then((found) => (found ? this.workLoop(source) : undefined)));
      // Wait for every loop even when one fails, so no job is left half-handled in memory.
      const settled = await Promise.allSettled(loops);
      const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure) throw failure.reason;
      if (!housekeeping) return;
      if (this.suspectExecutor) await this.runSuspectsBeside(source);
      else await this.runSuspects(source, null);
      if (this.suspectLaneError !== undefined) throw this.suspectLaneError;
    } finally {
      clearInterval(heartbeat);
      await this.suspectLane?.catch(() => undefined);
      crashGuard?.remove();
    }
  }

  /** Run the waiting suspects in the suspect executor, beside the normal loops; a call while
   * they run makes the lane look again once it is done. */
  private runSuspectsBeside(source: IJobSource): Promise<void> {
    if (this.suspectLane) {
      this.suspectsAgain = true;
      return this.suspectLane;
    }
    const lane = (async () => {
      do {
        this.suspectsAgain = false;
        await this.runSuspects(source, this.suspectExecutor!);
      } while (this.suspectsAgain && !this.stopping);
    })();
    this.suspectLane = lane
      .catch((error: unknown) => {
        this.suspectLaneError ??= error;
      })
      .finally(() => {
        this.suspectLane = undefined;
      });
    return this.suspectLane;
  }

  /** Claim suspects one at a time and run each on its own: in the executor's worker process,
   * or (null) in this process once nothing else runs in it, so that if it kills the process
   * again it was the only job held (rescueExpiredJobs.ts counts such deaths only). */
  private async runSuspects(source: IJobSource, executor: JobExecutor | null): Promise<void> {
    const manager = this.options.dataSource.manager;
    while (!this.stopping) {
      const claimed = await claimSuspectJob(manager, { jobTypes: source.jobTypes, queues: this.queues, leaseMs: this.leaseMs, owner: this.owner, exclude: [...this.suspectsRun] });
      if (!claimed) return;
      this.suspectsRun.add(claimed.id);
      const [job] = await this.wrap(source, [claimed]);
      if (!job) continue;
      this.logger.info(`Running ${job.toString()} on its own: a runner died holding it (${claimed.runnerDeaths} time(s)).`);
      await this.runOne(job, executor);
    }
  }

  /** Run the given jobs (Launchpad's JobRunner(jobs).runAll()): each is claimed first, and a
   * job whose lease another runner holds is skipped and counted incomplete. */
  async runJobs(jobs: readonly IRunnableJob[]): Promise<void> {
    const manager = this.options.dataSource.manager;
    // The same lease and heartbeat as runAllFromSource: the claim reserves a job for leaseMs.
    const heartbeat = setInterval(() => void this.heartbeat(), Math.max(100, Math.floor(this.leaseMs / 3)));
    try {
      for (const job of jobs) {
        if (this.stopping) return;
        const claimed = await claimJobById(manager, job.job.id, this.leaseMs, this.owner);
        if (!claimed) {
          this.logger.debug(`Skipping ${job.toString()}: its lease is held by another runner or it is not ready.`);
          this.record(job, 'lease_held');
          continue;
        }
        Object.assign(job.job, claimed);
        await this.runOne(job);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async heartbeat(source?: IJobSource): Promise<void> {
    try {
      await renewLeases(this.options.dataSource.manager, this.owner, this.leaseMs);
      this.heartbeatFailed = false;
      // Take over the jobs of runners that died while this one runs (not only at its start).
      if (source && !this.stopping && (await this.rescueExpired(source)) > 0 && this.suspectExecutor) void this.runSuspectsBeside(source);
    } catch (error) {
      if (!this.heartbeatFailed) this.logger.warning(`Could not renew job leases: ${toError(error).message}`);
      this.heartbeatFailed = true;
    }
  }

  /** Jobs left RUNNING by a dead runner: requeued as suspects, or FAILED with an OOPS once
   * out of tries. Returns how many were requeued. */
  private async rescueExpired(source: IJobSource): Promise<number> {
    const manager = this.options.dataSource.manager;
    // Runners of this host whose process is gone: their jobs need not wait for the lease.
    const dead = deadOwners(await selectRunningOwners(manager, source.jobTypes, thisHostPrefix()), this.owner);
    const hooked = source.failureHookJobTypes ?? [];
    const takeover = hooked.length > 0 ? { jobTypes: hooked, owner: this.owner, leaseMs: this.leaseMs } : undefined;
    const rescued = await rescueExpiredJobs(manager, source.jobTypes, dead, takeover);
    let requeued = 0;
    for (const { job, previousOwner, runnerDeaths } of rescued) {
      const who = previousOwner ?? 'an unknown runner';
      const how = previousOwner !== null && dead.includes(previousOwner) ? 'whose process is gone' : 'whose lease expired';
      if (job.status === 'WAITING') {
        requeued += 1;
        this.logger.info(`Job ${job.id} (${job.jobType}) was left running by ${who}, ${how}; requeued to run on its own (runner deaths: ${runnerDeaths} of at most ${Math.max(job.maxRetries, 1)}; the attempt is not counted).`);
        continue;
      }
      const error = new Error(`The runner ${who} died while running job ${job.id} (a runner ${how}) and it has no tries left (runners died holding it ${runnerDeaths} times).`);
      error.name = 'RunnerDied';
      const oops = await this.options.fileOops(error, [['job_id', String(job.id)], ['job_type', job.jobType], ['job_attempt', String(job.attemptCount)]]);
      const failure = { error: errorSummary(error), oops: oops.id };
      if (job.status === 'RUNNING') {
        // Taken over to run its failure hook: the hook's writes commit with FAILED.
        const [runnable] = await source.fromJobs(manager, [job]);
        const failed = await failJobWithHook(this.options.dataSource, manager, runnable!, this.owner, error, failure);
        if (failed.hookError) await this.reportHookFailure(runnable!, failed.hookError, oops);
      } else {
        await recordJobFailure(manager, job.id, failure);
      }
      this.logger.warning(`Job ${job.id} (${job.jobType}) was left running by ${who} and has no tries left: FAILED. Job resulted in OOPS: ${oops.id}`);
      this.oopsIds.push(oops.id);
    }
    return requeued;
  }

  /**
   * While jobs run in this process: an uncaught exception or unhandled rejection crashes it.
   * Which job raised it cannot be told for sure (a timer or promise may outlive the job that
   * made it), so nothing more is committed, the jobs that were running are handed back as
   * suspects (each then runs on its own in a worker process, where the guilty one fails with
   * an OOPS that says what it did), the unstarted ones are handed back as they were, an OOPS
   * for the crash is filed, and the process exits 1.
   */
  private guardAgainstCrashes(): { remove(): void } {
    const onCrash = (thrown: unknown, kind: 'UncaughtException' | 'UnhandledRejection') => {
      if (this.crashed) return;
      this.crashed = true;
      this.stopping = true;
      process.exitCode = 1;
      const suspects = [...this.inFlight].map((job) => job.job.id);
      // Whatever happens below, the process does not outlive a crash for long.
      setTimeout(() => process.exit(1), 10_000).unref();
      void this.handOverAfterCrash(toError(thrown), kind, suspects)
        .catch((error: unknown) => this.logger.error(`Could not hand back jobs after a crash: ${toError(error).message}; their leases cover them.`))
        .finally(() => process.exit(1));
    };
    const onException = (error: unknown) => onCrash(error, 'UncaughtException');
    const onRejection = (reason: unknown) => onCrash(reason, 'UnhandledRejection');
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    return {
      remove: () => {
        process.off('uncaughtException', onException);
        process.off('unhandledRejection', onRejection);
      },
    };
  }

  private async handOverAfterCrash(thrown: Error, kind: 'UncaughtException' | 'UnhandledRejection', suspects: number[]): Promise<void> {
    const what = kind === 'UncaughtException' ? 'An uncaught exception' : 'An unhandled rejection';
    const handedBack = await handBackJobs(this.options.dataSource.manager, this.owner, suspects);
    const error = new Error(`${thrown.name}: ${thrown.message}`);
    error.name = kind;
    error.stack = `${kind}: ${thrown.stack ?? thrown.message}`;
    const oops = await this.options.fileOops(error, [['running_job_ids', suspects.join(' ')]]);
    this.oopsIds.push(oops.id);
    this.logger.warning(
      `${what} (${thrown.name}: ${thrown.message}) crashed this runner while ${suspects.length > 0 ? `job(s) ${suspects.join(', ')} ran` : 'no job ran'}; ` +
        `handed back ${handedBack} job(s)${suspects.length > 0 ? `, the running ones to run on their own` : ''}. Runner resulted in OOPS: ${oops.id}; exiting.`,
    );
  }

  /** How many jobs one loop claims: what it expects to start within claimAheadMs, and its
   * share of batchSize; one while no job has run yet. */
  private claimLimit(): number {
    const share = Math.max(1, Math.ceil(this.batchSize / this.concurrency));
    const { recentJobMs } = this.runTimes;
    if (recentJobMs === undefined) return 1;
    return Math.max(1, Math.min(share, Math.floor(this.claimAheadMs / Math.max(recentJobMs, 0.001))));
  }

  /** Claim and run until nothing is left; `onFirstClaim` (the run's first loop) is told
   * whether its first claim found anything, once the run's start is known. */
  private async workLoop(source: IJobSource, onFirstClaim?: (found: boolean) => void): Promise<void> {
    const manager = this.options.dataSource.manager;
    try {
      while (!this.stopping) {
        const limit = this.claimLimit();
        const claim = (on: EntityManager) => claimJobs(on, {
          jobTypes: source.jobTypes,
          limit,
          leaseMs: this.leaseMs,
          owner: this.owner,
          runStartedAt: this.runStartedAt,
          queues: this.queues,
        });
        const batch = new BatchTransaction(this.options.dataSource, this.owner, this.options.keptConnection);
        let claimed: Job[];
        try {
          claimed = this.claimsWithBatch(batch) ? await batch.claimAndBegin(claim) : await claim(manager);
        } catch (error) {
          await batch.abandon();
          throw error;
        }
        if (claimed.length === 0) {
          await batch.abandon();
          return;
        }
        this.runStartedAt ??= claimed[0]!.dateStarted;
        const short = this.options.endOnShortClaim === true && claimed.length < limit;
        onFirstClaim?.(!short);
        let jobs: IRunnableJob[];
        try {
          jobs = await this.wrap(source, claimed);
        } catch (error) {
          await batch.abandon();
          throw error;
        }
        await this.runBatch(jobs, batch);
        if (short) return;
      }
    } finally {
      // Nothing claimed, stopped or failed: the other loops need not start (a second call is a no-op).
      onFirstClaim?.(false);
    }
  }

  /**
   * The claimed rows as runnable jobs. When the source cannot turn the batch into jobs (a
   * domain job_type no class knows, a row it cannot read), each row is tried on its own, and
   * only the rows that fail are FAILED, each with an OOPS naming the job; the rest run.
   */
  private async wrap(source: IJobSource, claimed: Job[]): Promise<IRunnableJob[]> {
    const manager = this.options.dataSource.manager;
    let jobs: IRunnableJob[];
    const unloadable = new Set<number>();
    try {
      jobs = await source.fromJobs(manager, claimed);
    } catch (thrown) {
      if (isConnectionError(toError(thrown))) throw thrown;
      jobs = [];
      for (const row of claimed) {
        try {
          jobs.push(...(await source.fromJobs(manager, [row])));
        } catch (rowThrown) {
          const error = toError(rowThrown);
          if (isConnectionError(error)) throw error;
          unloadable.add(row.id);
          await this.failUnloadable(row, error);
        }
      }
    }
    if (jobs.length + unloadable.size !== claimed.length) {
      // A job row without its domain row cannot run; it must not stay RUNNING either.
      const found = new Set(jobs.map((job) => job.job.id));
      for (const job of claimed.filter((job) => !found.has(job.id) && !unloadable.has(job.id))) {
        const missing = new Error('it has no row in its domain table');
        missing.name = 'MissingDomainRow';
        await this.failUnloadable(job, missing);
      }
    }
    return jobs;
  }

  /** A claimed row the source could not turn into a job: FAILED, with an OOPS naming it. */
  private async failUnloadable(row: Job, cause: Error): Promise<void> {
    const error = new Error(`Job ${row.id} (${row.jobType}) could not be loaded to run: ${cause.message}`);
    error.name = cause.name;
    error.stack = `${cause.name}: ${error.message}\n${(cause.stack ?? '').split('\n').slice(1).join('\n')}`;
    // The OOPS id commits with the FAILED status; the report is written once it has.
    const oops = this.options.fileOops.create(error, [['job_id', String(row.id)], ['job_type', row.jobType], ['job_attempt', String(row.attemptCount)]]);
    if (!(await finishJob(this.options.dataSource.manager, row.id, this.owner, 'FAILED', { error: errorSummary(error), oops: oops.id }))) return;
    await this.options.fileOops.write(oops);
    this.logger.warning(`${error.message}; FAILED. Job resulted in OOPS: ${oops.id}`);
    this.oopsIds.push(oops.id);
  }

  /**
   * Whether a claim goes on its batch's connection with START TRANSACTION behind it
   * (claimAndBegin): when jobs run in this process and the last ones were quick (the claimed
   * jobs will share the batch's transaction). Otherwise it goes on any connection of the pool.
   */
  private claimsWithBatch(batch: BatchTransaction): boolean {
    if (this.options.executor || !batch.canClaim(this.concurrency)) return false;
    if (this.quickJobMs === Infinity) return true;
    for (const averageMs of this.runTimes.averageMs.values()) if (averageMs < this.quickJobMs) return true;
    return false;
  }

  /** Run a claimed batch. Quick jobs share a transaction (`batch`, which may have begun
   * already); the others get their own. */
  private async runBatch(jobs: IRunnableJob[], batch: BatchTransaction): Promise<void> {
    const byId = new Map(jobs.map((job) => [job.job.id, job]));
    for (const job of jobs) this.unstarted.add(job.job.id);
    const commit = async () => {
      // After a crash the jobs of the open batch are handed back, not committed.
      if (this.crashed) return batch.abandon();
      const rolledBack = await batch.commit();
      if (rolledBack.length === 0) return;
      // A job of the transaction was taken over: nothing of it was committed. Hand back
      // what is still ours; those jobs run again later.
      await releaseJobs(this.options.dataSource.manager, rolledBack, this.owner);
      this.logger.warning(`A batch of ${rolledBack.length} job(s) was rolled back because a job in it was taken over by another runner (its lease expired); they will run again.`);
      for (const id of rolledBack) this.record(byId.get(id)!, 'lost');
    };
    let next = 0;
    try {
      for (; next < jobs.length && !this.stopping; next++) {
        const job = jobs[next]!;
        if (!this.options.executor && this.isQuick(job)) {
          this.unstarted.delete(job.job.id);
          await this.runInBatch(batch, job);
          // Do not let finished jobs wait long for their commit.
          if (batch.ageMs > 200) await commit();
        } else {
          await commit();
          this.unstarted.delete(job.job.id);
          await this.runOne(job);
        }
      }
      await commit();
    } catch (error) {
      await batch.abandon();
      throw error;
    }
    const unstarted = jobs.slice(next);
    for (const job of unstarted) this.unstarted.delete(job.job.id);
    if (unstarted.length > 0) {
      const released = await releaseJobs(this.options.dataSource.manager, unstarted.map((job) => job.job.id), this.owner);
      this.logger.info(`Stopping: handed back ${released} claimed job(s) that had not started.`);
      for (const job of unstarted) this.record(job, 'released');
    }
  }

  private isQuick(job: IRunnableJob): boolean {
    const average = this.runTimes.averageMs.get(job.constructor.name);
    // A class not seen yet runs alone first, unless every job is to share (quickJobMs Infinity).
    return average === undefined ? this.quickJobMs === Infinity : average < this.quickJobMs;
  }

  private timed<T>(job: IRunnableJob, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.inFlight.add(job);
    return work().finally(() => {
      this.inFlight.delete(job);
      const elapsed = performance.now() - started;
      const name = job.constructor.name;
      const times = this.runTimes;
      const previous = times.averageMs.get(name);
      times.averageMs.set(name, previous === undefined ? elapsed : previous * 0.8 + elapsed * 0.2);
      times.recentJobMs = times.recentJobMs === undefined ? elapsed : times.recentJobMs * 0.8 + elapsed * 0.2;
    });
  }

  /** Run one claimed job inside the shared batch transaction. */
  private async runInBatch(batch: BatchTransaction, job: IRunnableJob): Promise<void> {
    this.logger.debug(`Running ${job.toString()} in status ${statusTitle('WAITING')}`);
    let status = 'COMPLETED' as 'COMPLETED' | 'WAITING' | null;
    try {
      await this.timed(job, () => batch.step(job.job.id, async (manager) => {
        await job.run(manager);
        // A job that records its own success (a multi-step job's next step) does it inside its
        // savepoint, so that its writes roll back with it if it was taken over; the others are
        // marked COMPLETED together just before the batch commits.
        if (job.finishRun && !(status = await job.finishRun(manager, this.owner))) throw new JobTakenOver();
      }));
    } catch (thrown) {
      const error = toError(thrown);
      if (isConnectionError(error)) throw error;
      if (error instanceof JobTakenOver) return this.lost(job);
      await batch.run((manager) => this.handleFailure(job, error, { manager, afterCommit: (callback) => batch.onCommit(callback) }));
      return;
    }
    if (job.finishRun) {
      const finished = status === 'WAITING' ? 'WAITING' : 'COMPLETED';
      return batch.onCommit(() => {
        job.job.status = finished;
        this.record(job, finished === 'WAITING' ? 'advanced' : 'completed');
      });
    }
    batch.completedJob(job.job.id, () => {
      job.job.status = 'COMPLETED';
      this.record(job, 'completed');
    });
  }

  /** Run one claimed (RUNNING) job to its outcome in a transaction of its own, or hand it to
   * the executor (a child process). */
  async runOne(job: IRunnableJob, executor: JobExecutor | null = this.options.executor ?? null): Promise<void> {
    if (executor) return executor.execute(job, this);
    this.logger.debug(`Running ${job.toString()} in status ${statusTitle('WAITING')}`);
    const queryRunner = this.options.dataSource.createQueryRunner();
    await queryRunner.connect();
    let failure: Error | undefined;
    try {
      await queryRunner.startTransaction();
      const finished = await this.timed(job, async () => {
        await job.run(queryRunner.manager);
        if (job.finishRun) return job.finishRun(queryRunner.manager, this.owner);
        return (await finishJob(queryRunner.manager, job.job.id, this.owner, 'COMPLETED')) ? 'COMPLETED' : null;
      });
      if (finished && !this.crashed) {
        await queryRunner.commitTransaction();
        job.job.status = finished;
        this.record(job, finished === 'WAITING' ? 'advanced' : 'completed');
      } else {
        await queryRunner.rollbackTransaction();
        if (!this.crashed) this.lost(job);
      }
      return;
    } catch (thrown) {
      failure = toError(thrown);
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
    } finally {
      await queryRunner.release();
    }
    if (isConnectionError(failure)) throw failure;
    await this.handleFailure(job, failure, { manager: this.options.dataSource.manager, afterCommit: AUTOCOMMIT });
  }

  private lost(job: IRunnableJob): void {
    this.logger.warning(`${job.toString()} was taken over by another runner (its lease expired); its work was rolled back.`);
    this.record(job, 'lost');
  }

  /**
   * Decide what a failed run means (DESIGN.md's outcomes) and write it, with why (job.last_error,
   * job.last_oops), in one statement. Used for errors thrown by run(), and by the isolated
   * executor for a job it had to kill. The OOPS id is made now, to commit with the outcome;
   * the report, the log lines and the notifications wait until the outcome has committed.
   */
  async handleFailure(job: IRunnableJob, error: Error, target?: OutcomeTarget): Promise<void> {
    const { manager, afterCommit } = target ?? { manager: this.options.dataSource.manager, afterCommit: AUTOCOMMIT };
    const id = job.job.id;
    // Every statement below is guarded by claimed_by: false means another runner has the job.
    if (error instanceof SuspendJob) {
      if (!(await suspendJob(manager, id, this.owner))) return this.lost(job);
      return afterCommit(() => {
        this.logger.info(`${job.toString()} suspended: ${error.message}`);
        job.job.status = 'SUSPENDED';
        this.record(job, 'suspended');
      });
    }
    const summary = errorSummary(error);
    const isRetry = job.retryErrorTypes.some((type) => error instanceof type);
    if (isRetry && job.job.attemptCount <= job.job.maxRetries) {
      if (!(await requeueJob(manager, id, this.owner, job.retryDelayMs, { error: summary, oops: null }))) return this.lost(job);
      return afterCommit(() => {
        this.logger.info(`Scheduling retry of ${job.toString()} after ${error.name}: ${error.message}`);
        Object.assign(job.job, { status: 'WAITING', lastError: summary, lastOops: null });
        this.record(job, 'requeued');
      });
    }
    if (job.userErrorTypes.some((type) => error instanceof type)) {
      const failed = await failJobWithHook(this.options.dataSource, manager, job, this.owner, error, { error: summary, oops: null });
      if (!failed.held) return this.lost(job);
      return afterCommit(async () => {
        Object.assign(job.job, { status: 'FAILED', lastError: summary, lastOops: null });
        this.record(job, 'user_error');
        if (failed.hookError) await this.reportHookFailure(job, failed.hookError);
        await this.notify(job, 'notifyUserError', () => job.notifyUserError(error, this.logger));
      });
    }
    const oops = this.options.fileOops.create(error, this.oopsVars(job));
    const failed = await failJobWithHook(this.options.dataSource, manager, job, this.owner, error, { error: summary, oops: oops.id });
    if (!failed.held) return this.lost(job);
    return afterCommit(async () => {
      await this.writeReport(oops, job);
      if (failed.hookError) await this.reportHookFailure(job, failed.hookError, oops);
      // WARNING, so that a cron run under -q still says a job failed, and which.
      this.logger.warning(`Job resulted in OOPS: ${oops.id} (${job.toString()}: ${summary})`);
      Object.assign(job.job, { status: 'FAILED', lastError: summary, lastOops: oops.id });
      this.record(job, 'oops', oops);
      await this.notify(job, 'notifyOops', () => job.notifyOops(oops, this.logger), oops);
    });
  }

  /** A failure hook that threw: an OOPS report of its own (naming the job and, if any, the
   * job's OOPS) and a log line; the job keeps its FAILED outcome. */
  private async reportHookFailure(job: IRunnableJob, error: Error, jobOops?: OopsReport): Promise<void> {
    const vars: Array<[string, string]> = [...this.oopsVars(job), ['hook', 'on_failure']];
    if (jobOops) vars.push(['job_oops', jobOops.id]);
    const report = this.options.fileOops.create(error, vars);
    await this.writeReport(report, job);
    this.oopsIds.push(report.id);
    this.logger.warning(`The failure hook of ${job.toString()} failed: ${errorSummary(error)}. Hook resulted in OOPS: ${report.id}`);
  }

  /** The job's OOPS variables; a getOopsVars() that throws must not cost the job its outcome. */
  private oopsVars(job: IRunnableJob): Array<[string, string]> {
    try {
      return job.getOopsVars();
    } catch (thrown) {
      const problem = toError(thrown);
      return [['job_id', String(job.job.id)], ['job_type', job.job.jobType], ['getOopsVars_error', `${problem.name}: ${problem.message}`]];
    }
  }

  /** Write a report whose outcome has committed. If the disk refuses it, the database still
   * names it (job.last_oops) and the run goes on. */
  private async writeReport(report: OopsReport, job: IRunnableJob): Promise<void> {
    try {
      await this.options.fileOops.write(report);
    } catch (thrown) {
      const problem = toError(thrown);
      this.logger.error(`Could not write ${report.id} for ${job.toString()}: ${problem.name}: ${problem.message}`);
    }
  }

  /**
   * Call a notification after the outcome has committed. One that throws gets an OOPS report
   * of its own (naming the job and the notification) and a log line; the job keeps its
   * outcome and the run goes on.
   */
  private async notify(job: IRunnableJob, which: 'notifyOops' | 'notifyUserError', send: () => Promise<void>, jobOops?: OopsReport): Promise<void> {
    try {
      await send();
    } catch (thrown) {
      const error = toError(thrown);
      const vars: Array<[string, string]> = [...this.oopsVars(job), ['notification', which]];
      if (jobOops) vars.push(['job_oops', jobOops.id]);
      const report = this.options.fileOops.create(error, vars);
      await this.writeReport(report, job);
      this.oopsIds.push(report.id);
      this.logger.warning(`${which}() of ${job.toString()} failed: ${errorSummary(error)}. Notification resulted in OOPS: ${report.id}`);
    }
  }

  /** Count an outcome (for the summary and callers). */
  record(job: IRunnableJob, outcome: Outcome, oops?: OopsReport): void {
    const name = job.constructor.name;
    const count = this.counts.get(name) ?? { completed: 0, incomplete: 0 };
    this.counts.set(name, count);
    // A multi-step job's step that ran and committed counts as a job that ran.
    const ran = outcome === 'completed' || outcome === 'advanced';
    if (ran) count.completed += 1;
    else count.incomplete += 1;
    if (PUT_BACK.has(outcome)) this.putBackCount += 1;
    if (oops) this.oopsIds.push(oops.id);
    if (this.results.length >= this.maxRecordedJobs) return;
    this.results.push({ job, outcome, oops });
    if (ran) this.completedJobs.push(job);
    else this.incompleteJobs.push(job);
  }

  /** Jobs this run left WAITING, ready now or soon (a next step, a retry, a job taken over
   * or whose lease another runner held): a worker looks at the queues again at once. */
  putBackCount = 0;

  /** How many jobs completed in this run, over all classes. */
  get completedCount(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count.completed, 0);
  }

  /** Launchpad's closing lines: per job class, how many ran and how many did not complete. */
  logSummary(defaultName: string): void {
    logJobCounts(this.logger, this.counts.size > 0 ? this.counts : new Map([[defaultName, { completed: 0, incomplete: 0 }]]));
  }

  /** Per job class: how many jobs completed and how many did not, in this run. */
  get classCounts(): ReadonlyMap<string, JobCounts> {
    return this.counts;
  }
}

export interface JobCounts {
  completed: number;
  incomplete: number;
}

/** `Ran N <class> jobs.` (and `N <class> jobs did not complete.`) per job class. */
export function logJobCounts(logger: Logger, counts: ReadonlyMap<string, JobCounts>): void {
  for (const [name, { completed, incomplete }] of counts) {
    logger.info(`Ran ${completed} ${name} jobs.`);
    if (incomplete > 0) logger.info(`${incomplete} ${name} jobs did not complete.`);
  }
}
