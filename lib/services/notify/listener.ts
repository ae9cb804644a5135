import pg from 'pg';
import { DatabaseUnavailable } from '../database/connectionErrors.ts';
import { describeUrl } from '../database/describeUrl.ts';
import { toError } from '../job/interfaces/errors.ts';
import { DevNullLogger, type Logger } from '../scripts/logger.ts';
import { NOTIFY_CHANNEL, parsePayload, type NotifyEvent } from './payload.ts';

export interface BackoffOptions {
  /** The delay before the first attempt to reconnect. */
  initialMs: number;
  /** No delay between attempts is longer than this (before jitter takes up to half off). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000 };

export interface NotifyListenerOptions {
  url: string;
  logger?: Logger;
  /** Default: the job system's channel. */
  channel?: string;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  backoff?: Partial<BackoffOptions>;
  /**
   * How often the idle connection is checked with `SELECT 1` (0: never). A LISTEN connection
   * only reads, so without a check a connection that the network dropped silently would look
   * alive until TCP keepalive gives up, and notifications would stop without a word.
   */
  healthCheckMs?: number;
  /** For tests: the source of jitter. */
  random?: () => number;
}

export type NotifySubscriber = (event: NotifyEvent) => void | Promise<void>;

/**
 * The delay before reconnect attempt `attempt` (1, 2, ...): doubling from initialMs, capped at
 * maxMs, with jitter between 50% and 100% so that many listeners that lost the same server do
 * not all come back at the same instant.
 */
export function reconnectDelay(attempt: number, backoff: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.max(1, Math.ceil(base * (0.5 + random() / 2)));
}

type State = 'new' | 'listening' | 'down' | 'closed';

/**
 * LISTENs on the job system's channel on one connection of its own (not from a pool: a pooled
 * connection is handed to others, and LISTEN belongs to the session) and hands every typed
 * payload to its subscribers. When the connection is lost it logs one line, reconnects with
 * capped backoff for as long as it takes, logs one line when it is back and emits a
 * `reconnected` event: notifications sent while it was down are lost, so subscribers look at
 * the database again. close() stops it.
 */
export class NotifyListener {
  readonly channel: string;
  private readonly url: string;
  private readonly logger: Logger;
  private readonly applicationName: string;
  private readonly backoff: BackoffOptions;
  private readonly healthCheckMs: number;
  private readonly random: () => number;
  private readonly subscribers = new Set<NotifySubscriber>();
  /** Callers of waitFor() still waiting: close() rejects them. */
  private readonly waiters = new Set<() => void>();
  private state: State = 'new';
  private client: pg.Client | undefined;
  private connecting: Promise<unknown> | undefined;
  private attempts = 0;
  private downSince = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  /** The server process of the current connection (pg_backend_pid()), while listening. */
  backendPid: number | undefined;

  constructor(options: NotifyListenerOptions) {
    this.url = options.url;
    this.logger = options.logger ?? new DevNullLogger();
    this.channel = options.channel ?? NOTIFY_CHANNEL;
    this.applicationName = options.applicationName ?? 'jobsystem notify';
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.healthCheckMs = options.healthCheckMs ?? 30_000;
    this.random = options.random ?? Math.random;
  }

  get listening(): boolean {
    return this.state === 'listening';
  }

  /**
   * Connect and LISTEN. A database that cannot be reached now is a DatabaseUnavailable (the
   * caller decides whether to exit or try later); once started, outages are ridden out.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('NotifyListener.start() may be called once');
    try {
      await this.connectAndListen();
    } catch (error) {
      this.state = 'closed';
      throw new DatabaseUnavailable(`cannot listen for notifications at ${describeUrl(this.url)}: ${toError(error).message}`);
    }
    if (this.listening) this.startHealthCheck();
  }

  /** Call `subscriber` for every event from now on; the returned function stops that. */
  subscribe(subscriber: NotifySubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /**
   * The next event that `predicate` accepts, or an error after `timeoutMs` or at close().
   * (What a caller that waits for one thing to happen, such as the board's wait(), needs.)
   */
  waitFor<E extends NotifyEvent>(predicate: (event: NotifyEvent) => event is E, timeoutMs: number): Promise<E>;
  waitFor(predicate: (event: NotifyEvent) => boolean, timeoutMs: number): Promise<NotifyEvent>;
  waitFor(predicate: (event: NotifyEvent) => boolean, timeoutMs: number): Promise<NotifyEvent> {
    return new Promise((resolve, reject) => {
      if (this.state === 'closed') {
        reject(new Error('the notify listener is closed'));
        return;
      }
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        unsubscribe();
        this.waiters.delete(onClose);
        outcome();
      };
      const onClose = () => finish(() => reject(new Error('the notify listener was closed')));
      const timer = setTimeout(() => finish(() => reject(new Error(`no matching notification within ${timeoutMs} ms`))), timeoutMs);
      const unsubscribe = this.subscribe((event) => {
        if (predicate(event)) finish(() => resolve(event));
      });
      this.waiters.add(onClose);
    });
  }

  /** Stop listening and close the connection; no event is delivered after this resolves. */
  async close(): Promise<void> {
    if (this.state === 'closed') {
      await this.connecting?.catch(() => undefined);
      return;
    }
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    clearInterval(this.healthTimer);
    for (const onClose of [...this.waiters]) onClose();
    const client = this.client;
    this.client = undefined;
    this.backendPid = undefined;
    // An attempt to connect that is under way ends its own client when it sees 'closed'.
    await this.connecting?.catch(() => undefined);
    if (client) await client.end().catch(() => undefined);
  }

  /** One new connection with LISTEN in place, made the current one unless close() came first. */
  private async connectAndListen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: this.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      // Bounds the health check on a connection that no longer answers.
      query_timeout: 10_000,
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection was closed')));
    client.on('notification', (message) => this.received(client, message));
    const attempt = (async () => {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
      return rows[0]!.pid;
    })();
    this.connecting = attempt;
    let pid: number;
    try {
      pid = await attempt;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    } finally {
      this.connecting = undefined;
    }
    if (this.state === 'closed') {
      await client.end().catch(() => undefined);
      return;
    }
    // From here on, 'error' and 'end' from this client mean the connection was lost.
    this.client = client;
    this.backendPid = pid;
    this.state = 'listening';
  }

  private received(client: pg.Client, message: pg.Notification): void {
    if (client !== this.client || this.state !== 'listening' || message.channel !== this.channel) return;
    const payload = parsePayload(message.payload ?? '');
    if ('invalid' in payload) {
      this.logger.warning(`notify: ignored a notification on ${this.channel} (${payload.invalid}): ${(message.payload ?? '').slice(0, 200)}`);
      return;
    }
    this.emit(payload);
  }

  private emit(event: NotifyEvent): void {
    for (const subscriber of [...this.subscribers]) {
      const failed = (thrown: unknown) => this.logger.error(`notify: a subscriber failed on ${event.kind}: ${toError(thrown).message}`);
      try {
        const result = subscriber(event);
        if (result instanceof Promise) result.catch(failed);
      } catch (thrown) {
        failed(thrown);
      }
    }
  }

  /** The current connection went away: one line, then reconnect attempts until one works. */
  private lost(client: pg.Client, error: Error): void {
    if (client !== this.client || this.state !== 'listening') return;
    this.state = 'down';
    this.client = undefined;
    this.backendPid = undefined;
    this.downSince = Date.now();
    this.attempts = 0;
    clearInterval(this.healthTimer);
    // Make sure the socket is closed even when the server merely stopped answering.
    client.end().catch(() => undefined);
    this.logger.warning(`notify: lost the connection to the database (${toError(error).message}); reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.attempts += 1;
    const delay = reconnectDelay(this.attempts, this.backoff, this.random);
    this.retryTimer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.state !== 'down') return;
    try {
      await this.connectAndListen();
    } catch (error) {
      if (this.state !== 'down') return;
      // One line per outage is enough at the default level; each failed attempt is a debug line.
      this.logger.debug(`notify: reconnect attempt ${this.attempts} failed: ${toError(error).message}`);
      this.scheduleReconnect();
      return;
    }
    if (!this.listening) return;
    const downMs = Date.now() - this.downSince;
    this.logger.info(`notify: reconnected to the database after ${(downMs / 1000).toFixed(1)}s (${this.attempts} ${this.attempts === 1 ? 'attempt' : 'attempts'})`);
    this.startHealthCheck();
    this.emit({ kind: 'reconnected', downMs });
  }

  private startHealthCheck(): void {
    if (this.healthCheckMs <= 0) return;
    clearInterval(this.healthTimer);
    this.healthTimer = setInterval(() => {
      const client = this.client;
      if (!client || this.state !== 'listening') return;
      client.query('SELECT 1').catch((error: unknown) => this.lost(client, toError(error)));
    }, this.healthCheckMs);
  }
}
