import type { QueryRunner } from 'typeorm';

/** How long a kept connection may sit idle and still be used: well under pg-pool's own idle
 * timeout (10 s) and the idle timeouts of NATs and load balancers (a minute or more), which
 * can forget a quiet connection without a word. */
export const KEPT_IDLE_MS = 5_000;

/**
 * The connection a long-running worker keeps between its runs for the next batch: a woken
 * worker's claim goes out at once, without first waiting for the pool (and TypeORM) to hand
 * out a connection, which took a tenth of its wake-up-to-job time. It holds one connection,
 * idle and outside any transaction, between batches. Not handed out again: one that broke
 * while kept (a database restart: TypeORM releases a query runner whose connection errs), nor
 * one idle for longer than `maxIdleMs` (a busy worker gains from keeping one; a quiet one
 * takes a fresh one from the pool, as before), which is closed rather than given back to the
 * pool, since something between may have dropped it unseen. release() gives it back to the
 * pool; the worker does so before it closes the pool.
 */
export class KeptConnection {
  private kept: QueryRunner | undefined;
  private keptAt = 0;

  constructor(private readonly maxIdleMs = KEPT_IDLE_MS) {}

  /** The kept connection, if it is still usable (it is then no longer kept). */
  take(): QueryRunner | undefined {
    const kept = this.kept;
    this.kept = undefined;
    if (!kept || kept.isReleased) return undefined;
    if (Date.now() - this.keptAt <= this.maxIdleMs) return kept;
    // Ended first, so that the pool drops it rather than handing it to someone else.
    const client = (kept as unknown as { databaseConnection: { end(): Promise<void> } }).databaseConnection;
    client.end().catch(() => undefined);
    void kept.release().catch(() => undefined);
    return undefined;
  }

  /** Keep `queryRunner`, whose transaction has ended, for the next batch; release it instead
   * when one is kept already. */
  async give(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.isReleased) return;
    if (this.kept && !this.kept.isReleased) return queryRunner.release();
    this.kept = queryRunner;
    this.keptAt = Date.now();
  }

  async release(): Promise<void> {
    const kept = this.kept;
    this.kept = undefined;
    if (kept && !kept.isReleased) await kept.release();
  }
}
