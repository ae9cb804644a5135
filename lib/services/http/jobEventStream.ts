import type { ServerResponse } from 'node:http';
import type { EntityManager } from 'typeorm';
import { toError } from '../job/interfaces/errors.ts';
import type { ListenerLease } from '../notify/sharedListener.ts';
import type { JobEventName, NotifyEvent } from '../notify/payload.ts';
import { readJobOutcome, type JobOutcome } from '../resources/jobOutcome.ts';
import type { Logger } from '../scripts/logger.ts';

export interface JobEventStreamOptions {
  manager: EntityManager;
  logger: Logger;
  /** Read the job's row again this often (default 5 s): a safety net for a job whose end
   * sends no event (a job with no resource) or a notification lost while reconnecting. */
  pollMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream (default 15 s). */
  keepAliveMs?: number;
}

/** How far along a job an event, or the state read first, is: an event no further than the
 * state it arrived before is not sent again. */
const RANK: Record<JobEventName, number> = { ready: 1, start: 2, error: 3, success: 3 };

function stateRank(outcome: JobOutcome): number {
  if (outcome.finished) return 3;
  return outcome.status === 'RUNNING' ? 2 : 0;
}

/**
 * One client's Server-Sent Events stream of one job: first `state` (the job as it is now, so a
 * late subscriber never waits for an event that has passed), then `ready`, `start`, `error`
 * or `success` as they happen, and the end of the stream after `error` or `success` (each
 * carries the job's outcome: status, result, error, times). Subscribe it to the listener
 * before reading the state: events that arrive meanwhile are held, and those the state
 * already shows are dropped. close() stops its timers and subscription and gives back its
 * hold on the shared listener; it runs when the client goes away, when the job ends, and when
 * the server stops.
 */
export class JobEventStream {
  private readonly pollMs: number;
  private readonly keepAliveMs: number;
  private held: JobEventName[] | undefined = [];
  private sentRank = -1;
  private eventId = 0;
  private ended = false;
  private chain: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private response: ServerResponse | undefined;
  private readonly unsubscribe: () => void;
  private readonly closeCallbacks: Array<() => void> = [];

  constructor(readonly jobId: number, private readonly lease: ListenerLease, private readonly options: JobEventStreamOptions) {
    this.pollMs = options.pollMs ?? 5000;
    this.keepAliveMs = options.keepAliveMs ?? 15_000;
    this.unsubscribe = lease.listener.subscribe((event) => this.received(event));
  }

  /** Call `callback` once when the stream closes. */
  onClose(callback: () => void): void {
    this.closeCallbacks.push(callback);
  }

  /** Begin the stream on `response` (headers not yet sent) with the job's state `outcome`. */
  begin(response: ServerResponse, outcome: JobOutcome): void {
    this.response = response;
    response.on('close', () => this.close());
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      // nginx and others buffer responses unless told not to.
      'X-Accel-Buffering': 'no',
    });
    this.send('state', outcome);
    const held = this.held ?? [];
    this.held = undefined;
    this.sentRank = stateRank(outcome);
    if (outcome.finished) {
      this.finish(outcome);
      return;
    }
    for (const event of held) this.enqueue(event);
    this.pollTimer = setInterval(() => this.enqueueReread(), this.pollMs);
    this.keepAliveTimer = setInterval(() => this.write(': keep-alive\n\n'), this.keepAliveMs);
  }

  private received(event: NotifyEvent): void {
    if (this.ended) return;
    if (event.kind === 'reconnected') {
      this.enqueueReread();
      return;
    }
    if (event.kind !== 'job_event' || event.jobId !== this.jobId) return;
    if (this.held) this.held.push(event.event);
    else this.enqueue(event.event);
  }

  /** Events are sent one after another, each terminal one after its outcome is read. */
  private enqueue(event: JobEventName): void {
    this.chain = this.chain.then(async () => {
      if (this.ended || RANK[event] <= this.sentRank) return;
      if (RANK[event] < 3) {
        this.sentRank = RANK[event];
        this.send(event, { jobId: this.jobId, event });
        return;
      }
      this.finish(await readJobOutcome(this.options.manager, this.jobId), event);
    }).catch((error: unknown) => this.failed(error));
  }

  private enqueueReread(): void {
    this.chain = this.chain.then(async () => {
      if (this.ended) return;
      const outcome = await readJobOutcome(this.options.manager, this.jobId);
      if (outcome.finished) this.finish(outcome);
    }).catch((error: unknown) => this.failed(error));
  }

  /** The terminal event (from the notification, or from the status when none came), then the end. */
  private finish(outcome: JobOutcome, event: JobEventName = outcome.status === 'COMPLETED' ? 'success' : 'error'): void {
    this.send(event, { event, ...outcome });
    this.close();
  }

  private failed(thrown: unknown): void {
    const error = toError(thrown);
    this.options.logger.warning(`events of job ${this.jobId}: ${error.name}: ${error.message}; the stream is closed`);
    this.close();
  }

  private send(event: string, data: unknown): void {
    this.eventId += 1;
    this.write(`event: ${event}\nid: ${this.eventId}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(text: string): void {
    if (!this.ended && this.response && !this.response.writableEnded) this.response.write(text);
  }

  /** End the stream (if begun) and let go of everything it holds; later calls do nothing. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.pollTimer);
    clearInterval(this.keepAliveTimer);
    this.unsubscribe();
    this.lease.release();
    if (this.response && !this.response.writableEnded) this.response.end();
    for (const callback of this.closeCallbacks.splice(0)) callback();
  }
}
