import type { DataSource, EntityManager } from 'typeorm';
import { openDataSource } from '../database/dataSource.ts';
import { errorSummary } from '../job/errorSummary.ts';
import { toError } from '../job/interfaces/errors.ts';
import { NotifyListener } from '../notify/listener.ts';
import type { NotifyEvent } from '../notify/payload.ts';
import { DevNullLogger, type Logger } from '../scripts/logger.ts';
import { BoardJob, type BoardOfJob } from './boardJob.ts';
import { BoardWatch, type BoardSignal } from './boardWatch.ts';
import { ClaimRenewer } from './claimRenewer.ts';
import { checkWho, JobFailure, NotFound, UnclaimableJob } from './errors.ts';
import { abandonBoardJob } from './sql/abandonBoardJob.ts';
import { JobState, type BoardRow } from './sql/boardRow.ts';
import { claimBoardJob } from './sql/claimBoardJob.ts';
import { consumeBoardJob } from './sql/consumeBoardJob.ts';
import { postBoardJob } from './sql/postBoardJob.ts';
import { selectBoardJob, selectBoardPage } from './sql/selectBoardJobs.ts';
import { summarizeBoard } from './sql/summarizeBoard.ts';

/** TaskFlow's board events: a job was posted; a job was removed (consumed). */
export const POSTED = 'POSTED';
export const REMOVAL = 'REMOVAL';
export type BoardEvent = typeof POSTED | typeof REMOVAL;

export interface BoardEventDetails {
  board: string;
  jobId: number;
}

export type BoardCallback = (details: BoardEventDetails) => void | Promise<void>;

export interface JobBoardOptions {
  /** The database (the job system's). */
  url: string;
  logger?: Logger;
  /** How long a claim lasts without renewal: a dead owner's claims lapse within this. Default 30 s. */
  leaseMs?: number;
  /** How often this process renews its claims; default a third of leaseMs. */
  renewEveryMs?: number;
  /** Jobs read per page by iterjobs(); default 100. */
  pageSize?: number;
}

export interface IterOptions {
  /** Only jobs nobody holds a live claim on. */
  onlyUnclaimed?: boolean;
  /** Accepted for TaskFlow's signature: every page is read from the database as it is reached,
   * so the jobs are always fresh. */
  ensureFresh?: boolean;
}

export interface WaitOptions extends IterOptions {
  /** Aborting it ends the wait with a JobFailure (a conductor's stop). */
  signal?: AbortSignal;
}

/** What consume() records about the work done, when it is known. */
export interface ConsumeResult {
  /** The work failed with this; the job is consumed all the same, with the error recorded. */
  error?: unknown;
}

type JobRef = BoardJob | number;

function idOf(job: JobRef): number {
  const id = typeof job === 'number' ? job : job.id;
  if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`not a board job: ${String(id)}`);
  return id;
}

function checkTimeout(timeoutMs: number | undefined): void {
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
    throw new RangeError(`timeout must be a number of milliseconds >= 0, or undefined to wait forever: ${String(timeoutMs)}`);
  }
}

/**
 * A named job board on the job table, after TaskFlow's JobBoard: post jobs, claim them (one
 * owner at a time), abandon or consume them, list them, wait for them, and hear of postings
 * and removals in any process. Several boards share one database (the name is the jobs'
 * queue_name). Claims are leased and renewed by this process while it lives (ClaimRenewer).
 */
export class JobBoard implements BoardOfJob {
  readonly name: string;
  private readonly url: string;
  private readonly logger: Logger;
  readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly pageSize: number;
  private dataSource: DataSource | undefined;
  private listener: NotifyListener | undefined;
  private renewer: ClaimRenewer | undefined;
  private readonly callbacks: Record<BoardEvent, Set<BoardCallback>> = { POSTED: new Set(), REMOVAL: new Set() };
  private readonly watches = new Set<BoardWatch>();

  constructor(name: string, options: JobBoardOptions) {
    if (typeof name !== 'string' || name.trim() === '') throw new RangeError('a job board needs a name');
    this.name = name;
    this.url = options.url;
    this.logger = options.logger ?? new DevNullLogger();
    this.leaseMs = options.leaseMs ?? 30_000;
    if (!Number.isSafeInteger(this.leaseMs) || this.leaseMs < 100) throw new RangeError(`leaseMs must be a whole number of milliseconds >= 100: ${this.leaseMs}`);
    this.renewEveryMs = options.renewEveryMs ?? Math.floor(this.leaseMs / 3);
    if (!(this.renewEveryMs > 0 && this.renewEveryMs < this.leaseMs)) throw new RangeError(`renewEveryMs must be between 0 and leaseMs: ${this.renewEveryMs}`);
    this.pageSize = options.pageSize ?? 100;
    if (!Number.isSafeInteger(this.pageSize) || this.pageSize < 1) throw new RangeError(`pageSize must be a whole number >= 1: ${this.pageSize}`);
  }

  /** Connected to the database and listening for the board's notifications. */
  get connected(): boolean {
    return this.dataSource !== undefined && (this.listener?.listening ?? false);
  }

  /** Open the board's connections (a small pool, and one for LISTEN). */
  async connect(): Promise<void> {
    if (this.dataSource) return;
    const dataSource = await openDataSource(this.url, { poolSize: 2, applicationName: `jobsystem board ${this.name}`.slice(0, 63) });
    const listener = new NotifyListener({ url: this.url, logger: this.logger, applicationName: 'jobsystem board listener' });
    try {
      await listener.start();
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
    listener.subscribe((event) => this.received(event));
    this.dataSource = dataSource;
    this.listener = listener;
    this.renewer = new ClaimRenewer(dataSource, this.leaseMs, this.renewEveryMs, this.logger);
    this.renewer.start();
  }

  /**
   * Give up the claims this board object holds (as TaskFlow's ZooKeeper board does when its
   * session ends), end waits with a JobFailure, and close the connections. connect() may be
   * called again afterwards.
   */
  async close(): Promise<void> {
    const dataSource = this.dataSource;
    if (!dataSource) return;
    // Refuse new work and end waits first, so no wait returns the jobs given up below.
    this.dataSource = undefined;
    const closed = new JobFailure(`The job board ${this.name} was closed.`);
    for (const watch of [...this.watches]) watch.fail(closed);
    const renewer = this.renewer!;
    this.renewer = undefined;
    await renewer.stop();
    for (const [id, who] of renewer.claims()) {
      await abandonBoardJob(dataSource.manager, this.name, id, who).catch((error: unknown) =>
        this.logger.info(`Could not give up the claim of ${who} on board job ${id} (it lapses in time): ${toError(error).message}`));
    }
    await this.listener?.close();
    this.listener = undefined;
    await dataSource.destroy();
  }

  /** Call `callback` whenever a job of this board is posted (POSTED) or consumed (REMOVAL),
   * by this process or any other. Returns the function that unregisters it. */
  on(event: BoardEvent, callback: BoardCallback): () => void {
    this.callbacks[event].add(callback);
    return () => this.callbacks[event].delete(callback);
  }

  /** Atomically post a job; a post that fails posts nothing. */
  async post(name: string, details: Record<string, unknown> = {}): Promise<BoardJob> {
    if (typeof name !== 'string') throw new TypeError(`a job's name must be a string, not ${typeof name}`);
    if (typeof details !== 'object' || details === null || Array.isArray(details)) throw new TypeError('a job\'s details must be an object');
    return this.operation('Posting failure', undefined, async (manager) => {
      const json = JSON.stringify(details);
      return this.handle(await postBoardJob(manager, this.name, name, json));
    });
  }

  /** Atomically claim the job for `who`: UnclaimableJob when someone holds it, NotFound when
   * it is not on the board (never posted here, or consumed). */
  async claim(job: JobRef, who: string): Promise<BoardJob> {
    checkWho(who);
    const id = idOf(job);
    return this.operation('Claiming failure', id, async (manager) => {
      // A failed claim reads the job to say why; if it was abandoned in between, try again.
      for (let tries = 0; tries < 3; tries += 1) {
        const claimed = await claimBoardJob(manager, this.name, id, who, this.leaseMs);
        if (claimed) {
          this.renewer?.hold(id, who);
          return this.handle(claimed);
        }
        const current = await selectBoardJob(manager, this.name, id);
        if (!current || current.state === JobState.COMPLETE) throw new NotFound(`Job ${id} not found to be claimed on board ${this.name}`);
        if (current.state === JobState.CLAIMED) throw new UnclaimableJob(`Job ${id} already claimed by '${current.owner}'`, current.owner);
      }
      throw new UnclaimableJob(`Job ${id} could not be claimed: others keep claiming and abandoning it`);
    });
  }

  /** Give the job back to the board: only its owner may; NotFound when nobody holds it. */
  async abandon(job: JobRef, who: string): Promise<BoardJob> {
    checkWho(who);
    const id = idOf(job);
    try {
      return await this.operation('Abandonment failure', id, async (manager) => {
        const abandoned = await abandonBoardJob(manager, this.name, id, who);
        if (abandoned) return this.handle(abandoned);
        throw await this.notOwned(manager, id, who, 'abandon');
      });
    } finally {
      // Given up either way: a claim the database would not release lapses with its lease.
      this.renewer?.release(id, who);
    }
  }

  /**
   * Remove the job from the board for good, as done: only its owner may; NotFound when it is
   * not on the board or nobody holds it. It stays in the job table as COMPLETED history, with
   * the outcome (`result.error`: it failed, and why).
   */
  async consume(job: JobRef, who: string, result: ConsumeResult = {}): Promise<BoardJob> {
    checkWho(who);
    const id = idOf(job);
    const failed = 'error' in result && result.error !== undefined;
    return this.operation('Consumption failure', id, async (manager) => {
      const consumed = await consumeBoardJob(manager, this.name, id, who, {
        outcome: failed ? 'failed' : 'succeeded',
        error: failed ? errorSummary(toError(result.error)) : null,
      });
      if (consumed) {
        this.renewer?.release(id, who);
        return this.handle(consumed);
      }
      throw await this.notOwned(manager, id, who, 'consume');
    });
  }

  /** The jobs on the board in posting order, oldest first, read a page at a time. */
  async *iterjobs(options: IterOptions = {}): AsyncGenerator<BoardJob, void, undefined> {
    const onlyUnclaimed = options.onlyUnclaimed ?? false;
    let after = 0;
    for (;;) {
      const rows = await this.operation('Listing failure', undefined, (manager) => selectBoardPage(manager, this.name, after, onlyUnclaimed, this.pageSize));
      for (const row of rows) yield this.handle(row);
      if (rows.length < this.pageSize) return;
      after = Number(rows[rows.length - 1]!.id);
    }
  }

  /** How many jobs are on the board (claimed or not). */
  async jobCount(): Promise<number> {
    return (await this.operation('Counting failure', undefined, (manager) => summarizeBoard(manager, this.name))).total;
  }

  /** Who holds a live claim on the job, or null. */
  async findOwner(job: JobRef): Promise<string | null> {
    const id = idOf(job);
    return (await this.operation('Owner query failure', id, (manager) => selectBoardJob(manager, this.name, id)))?.owner ?? null;
  }

  async stateOf(job: JobRef): Promise<JobState> {
    const id = idOf(job);
    const row = await this.operation('State query failure', id, (manager) => selectBoardJob(manager, this.name, id));
    if (!row) throw new NotFound(`Job ${id} is not a job of board ${this.name}`);
    return row.state;
  }

  /**
   * Wait until the board has jobs (with onlyUnclaimed, jobs nobody holds) and return them, as
   * a fresh iteration (others may take them meanwhile). Woken by notifications, and, with
   * onlyUnclaimed, when the first claim lapses. NotFound after `timeoutMs`; undefined: no limit.
   */
  async wait(timeoutMs?: number, options: WaitOptions = {}): Promise<AsyncGenerator<BoardJob, void, undefined>> {
    checkTimeout(timeoutMs);
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const onlyUnclaimed = options.onlyUnclaimed ?? false;
    for (;;) {
      const watch = this.watch((signal) => signal.kind === 'board' && (signal.event === 'posted' || signal.event === 'abandoned'));
      try {
        const summary = await this.operation('Waiting failure', undefined, (manager) => summarizeBoard(manager, this.name));
        this.requireConnected(); // closed while it looked
        if ((onlyUnclaimed ? summary.unclaimed : summary.total) > 0) return this.iterjobs(options);
        const remaining = deadline === undefined ? undefined : deadline - Date.now();
        if (remaining !== undefined && remaining <= 0) throw new NotFound(`No jobs were posted on board ${this.name} within ${timeoutMs} ms`);
        // A lapsing claim sends no notification: look again when the first one lapses.
        const lapse = onlyUnclaimed && summary.nextLapseMs !== null ? summary.nextLapseMs + 50 : undefined;
        await this.until(watch, remaining === undefined ? lapse : Math.min(remaining, lapse ?? remaining), options.signal);
      } finally {
        watch.cancel();
      }
    }
  }

  /** True once the job is consumed (or gone), false when `timeoutMs` passes first. */
  async waitConsumed(job: JobRef, timeoutMs?: number): Promise<boolean> {
    checkTimeout(timeoutMs);
    const id = idOf(job);
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      const watch = this.watch((signal) => signal.kind === 'board' && signal.event === 'removal' && signal.id === id);
      try {
        const row = await this.operation('Waiting failure', id, (manager) => selectBoardJob(manager, this.name, id));
        if (!row || row.state === JobState.COMPLETE) return true;
        const remaining = deadline === undefined ? undefined : deadline - Date.now();
        if (remaining !== undefined && remaining <= 0) return false;
        await this.until(watch, remaining);
      } finally {
        watch.cancel();
      }
    }
  }

  private async until(watch: BoardWatch, ms: number | undefined, signal?: AbortSignal): Promise<void> {
    try {
      await watch.until(ms, signal);
    } catch (error) {
      if (error instanceof JobFailure) throw error;
      throw new JobFailure(`Waiting on board ${this.name} was interrupted`, { cause: error });
    }
  }

  private watch(accepts: (signal: BoardSignal) => boolean): BoardWatch {
    this.requireConnected();
    const watch = new BoardWatch(accepts, (done) => this.watches.delete(done));
    this.watches.add(watch);
    return watch;
  }

  private received(event: NotifyEvent): void {
    if (event.kind === 'job_inserted') return;
    if (event.kind === 'board' && event.board !== this.name) return;
    for (const watch of [...this.watches]) watch.offer(event.kind === 'board' ? event : { kind: 'reconnected' });
    if (event.kind !== 'board') return;
    const name = event.event === 'posted' ? POSTED : event.event === 'removal' ? REMOVAL : undefined;
    if (!name) return;
    for (const callback of [...this.callbacks[name]]) {
      const failed = (thrown: unknown) => this.logger.warning(`A ${name} callback of board ${this.name} failed: ${toError(thrown).message}`);
      try {
        const result = callback({ board: this.name, jobId: event.id });
        if (result instanceof Promise) result.catch(failed);
      } catch (thrown) {
        failed(thrown);
      }
    }
  }

  /** Why `who` could not abandon or consume job `id` (read after the statement found no row). */
  private async notOwned(manager: EntityManager, id: number, who: string, verb: 'abandon' | 'consume'): Promise<Error> {
    this.renewer?.release(id, who);
    const current = await selectBoardJob(manager, this.name, id);
    if (!current || current.state === JobState.COMPLETE) return new NotFound(`Can not ${verb} job ${id}, which is not on board ${this.name}`);
    if (current.state === JobState.UNCLAIMED) return new NotFound(`Can not ${verb} job ${id}, which nobody has claimed`);
    return new JobFailure(`Can not ${verb} job ${id}, which is not owned by ${who} (its owner is ${current.owner})`);
  }

  private handle(row: BoardRow): BoardJob {
    return new BoardJob(this, row);
  }

  private requireConnected(): DataSource {
    if (!this.dataSource) throw new JobFailure(`The job board ${this.name} is not connected: call connect() first.`);
    return this.dataSource;
  }

  /** Run a board operation; anything but the board's own errors becomes a JobFailure. */
  private async operation<T>(what: string, id: number | undefined, run: (manager: EntityManager) => Promise<T>): Promise<T> {
    const dataSource = this.requireConnected();
    try {
      return await run(dataSource.manager);
    } catch (error) {
      if (error instanceof JobFailure || error instanceof NotFound) throw error;
      throw new JobFailure(`${what}${id === undefined ? '' : ` (job ${id})`} on board ${this.name}: ${toError(error).message}`, { cause: error });
    }
  }
}
