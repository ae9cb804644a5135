import type { QueryRunner } from 'typeorm';

/**
 * The connection a long-running worker keeps between its runs for the next batch: a woken
 * worker's claim goes out at once, without first waiting for the pool (and TypeORM) to hand
 * out a connection, which took a tenth of its wake-up-to-job time. It holds one connection,
 * idle and outside any transaction, between batches. One that broke while kept (a database
 * restart: TypeORM releases a query runner whose connection errs) is not handed out again.
 * release() gives it back to the pool; the worker does so before it closes the pool.
 */
export class KeptConnection {
  private kept: QueryRunner | undefined;

  /** The kept connection, if it is still usable (it is then no longer kept). */
  take(): QueryRunner | undefined {
    const kept = this.kept;
    this.kept = undefined;
    return kept && !kept.isReleased ? kept : undefined;
  }

  /** Keep `queryRunner`, whose transaction has ended, for the next batch; release it instead
   * when one is kept already. */
  async give(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.isReleased) return;
    if (this.kept && !this.kept.isReleased) return queryRunner.release();
    this.kept = queryRunner;
  }

  async release(): Promise<void> {
    const kept = this.take();
    await kept?.release();
  }
}
