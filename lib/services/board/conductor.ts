import { toError } from '../job/interfaces/errors.ts';
import { DevNullLogger, type Logger } from '../scripts/logger.ts';
import type { BoardJob } from './boardJob.ts';
import { JobFailure, NotFound, UnclaimableJob, checkWho } from './errors.ts';
import type { JobBoard } from './jobBoard.ts';

/** Does the work of one job: `details` as posted; `signal` is aborted when the conductor is
 * asked to stop (a handler that gives up then should throw). */
export type BoardHandler = (details: Record<string, unknown>, job: BoardJob, signal: AbortSignal) => unknown;

export interface ConductorOptions {
  /** Stop after this many dispatches (a whole number >= 1); default: no limit. */
  maxDispatches?: number;
  /** How long one wait for jobs lasts before the board is looked at again, in ms (> 0).
   * Notifications end a wait at once; this only bounds how stale a missed one can leave it. */
  waitTimeoutMs?: number;
  logger?: Logger;
}

const DEFAULT_WAIT_TIMEOUT_MS = 10_000;

/**
 * TaskFlow's conductor on a JobBoard: waits for unclaimed jobs, claims one (jobs others claim
 * first are skipped quietly), runs the handler with its details, and consumes it whether the
 * handler succeeded or failed (the outcome and the error are recorded on the job). A job is
 * abandoned (claimable again) only when it could not be run or recorded: the handler was
 * interrupted by stop(), or the database refused the consumption.
 */
export class Conductor {
  private readonly maxDispatches: number | undefined;
  private readonly waitTimeoutMs: number;
  private readonly logger: Logger;
  private readonly stopController = new AbortController();
  private current: AbortController | undefined;
  private running: Promise<number> | undefined;
  /** How many jobs this conductor has dispatched (claimed and handed to the handler). */
  dispatched = 0;

  constructor(
    readonly board: JobBoard,
    readonly owner: string,
    private readonly handler: BoardHandler,
    options: ConductorOptions = {},
  ) {
    checkWho(owner);
    if (typeof handler !== 'function') throw new TypeError('a conductor needs a handler function');
    const { maxDispatches, waitTimeoutMs = DEFAULT_WAIT_TIMEOUT_MS } = options;
    if (maxDispatches !== undefined && !(Number.isSafeInteger(maxDispatches) && maxDispatches >= 1)) {
      throw new RangeError(`Invalid maxDispatches ${String(maxDispatches)}: a whole number >= 1, or none for no limit`);
    }
    if (!(typeof waitTimeoutMs === 'number' && Number.isFinite(waitTimeoutMs) && waitTimeoutMs > 0)) {
      throw new RangeError(`Invalid wait timeout ${String(waitTimeoutMs)}: a number of milliseconds > 0`);
    }
    this.maxDispatches = maxDispatches;
    this.waitTimeoutMs = waitTimeoutMs;
    this.logger = options.logger ?? new DevNullLogger();
  }

  /** Dispatch jobs until stop() or maxDispatches; resolves with how many were dispatched. */
  run(): Promise<number> {
    if (this.running) throw new Error(`the conductor ${this.owner} is already running`);
    this.running = this.loop();
    return this.running;
  }

  /**
   * Ask the conductor to stop: a wait ends at once, and a running handler's signal is
   * aborted. True once it no longer dispatches (at once for an idle conductor); false when
   * a handler is still running after `timeoutMs` (undefined: wait for it).
   */
  async stop(timeoutMs?: number): Promise<boolean> {
    this.stopController.abort();
    this.current?.abort();
    if (!this.running) return true;
    const ended = this.running.then(() => true, () => true);
    if (timeoutMs === undefined) return ended;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([ended, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private done(): boolean {
    return this.stopping || (this.maxDispatches !== undefined && this.dispatched >= this.maxDispatches);
  }

  private async loop(): Promise<number> {
    while (!this.done()) {
      try {
        const jobs = await this.board.wait(this.waitTimeoutMs, { onlyUnclaimed: true, signal: this.stopController.signal });
        for await (const job of jobs) {
          if (this.done()) break;
          const claimed = await this.tryClaim(job);
          if (claimed) await this.dispatch(claimed);
        }
      } catch (error) {
        if (error instanceof NotFound || this.stopping) continue;
        // The database is away (the board says JobFailure): look again after a wait.
        this.logger.warning(`Conductor ${this.owner} on board ${this.board.name}: ${toError(error).message}`);
        await this.pause(this.waitTimeoutMs);
      }
    }
    return this.dispatched;
  }

  private async tryClaim(job: BoardJob): Promise<BoardJob | undefined> {
    try {
      return await this.board.claim(job, this.owner);
    } catch (error) {
      if (error instanceof UnclaimableJob || error instanceof NotFound) {
        this.logger.debug(`Conductor ${this.owner} skipped ${job}: ${error.message}`);
        return undefined;
      }
      throw error;
    }
  }

  private async dispatch(job: BoardJob): Promise<void> {
    this.dispatched += 1;
    const controller = new AbortController();
    this.current = controller;
    if (this.stopping) controller.abort();
    let failure: Error | undefined;
    try {
      await this.handler(job.details, job, controller.signal);
    } catch (thrown) {
      failure = toError(thrown);
    } finally {
      this.current = undefined;
    }
    if (failure && controller.signal.aborted) {
      this.logger.info(`Conductor ${this.owner} abandons ${job}: the stop interrupted it (${failure.message}).`);
      await this.abandon(job);
      return;
    }
    if (failure) this.logger.warning(`Conductor ${this.owner}: ${job} failed (consumed all the same): ${failure.name}: ${failure.message}`);
    try {
      await this.board.consume(job, this.owner, failure ? { error: failure } : {});
      this.logger.debug(`Conductor ${this.owner} consumed ${job}.`);
    } catch (error) {
      if (error instanceof NotFound || !(error instanceof JobFailure) || error.cause === undefined) {
        // The claim lapsed (this process stalled past its lease): another owner runs it again.
        this.logger.warning(`Conductor ${this.owner} could not consume ${job}: ${toError(error).message}`);
        return;
      }
      this.logger.warning(`Conductor ${this.owner} could not consume ${job} (abandoning it): ${error.message}`);
      await this.abandon(job);
    }
  }

  private async abandon(job: BoardJob): Promise<void> {
    try {
      await this.board.abandon(job, this.owner);
    } catch (error) {
      this.logger.warning(`Conductor ${this.owner} could not abandon ${job} (it becomes claimable when its claim lapses): ${toError(error).message}`);
    }
  }

  private async pause(ms: number): Promise<void> {
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.stopController.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
