import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * One transaction shared by the quick jobs of a batch, with a SAVEPOINT around each job:
 * a job's writes and its status still commit together (or roll back together, to its
 * savepoint), while the cost of a commit is shared by the batch. Opened on first use.
 */
export class BatchTransaction {
  private queryRunner: QueryRunner | undefined;
  private afterCommit: Array<() => void> = [];
  private openedAt = 0;

  constructor(private readonly dataSource: DataSource) {}

  /** How long the open transaction has been open (0 when none is). */
  get ageMs(): number {
    return this.queryRunner ? Date.now() - this.openedAt : 0;
  }

  get pending(): number {
    return this.afterCommit.length;
  }

  private async open(): Promise<QueryRunner> {
    if (!this.queryRunner) {
      const queryRunner = this.dataSource.createQueryRunner();
      await queryRunner.connect();
      try {
        await queryRunner.startTransaction();
      } catch (error) {
        await queryRunner.release();
        throw error;
      }
      this.queryRunner = queryRunner;
      this.openedAt = Date.now();
    }
    return this.queryRunner;
  }

  /**
   * Run `work` between SAVEPOINT and RELEASE; when it throws, roll back to the savepoint
   * (the transaction stays usable) and rethrow. `onCommit` runs once the batch commits.
   */
  async step<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const queryRunner = await this.open();
    await queryRunner.query('SAVEPOINT job');
    try {
      const result = await work(queryRunner.manager);
      await queryRunner.query('RELEASE SAVEPOINT job');
      return result;
    } catch (error) {
      await queryRunner.query('ROLLBACK TO SAVEPOINT job');
      throw error;
    }
  }

  /** Statements after a failed step (requeue, fail...), in the same transaction. */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return work((await this.open()).manager);
  }

  /** Remember something to do once the transaction has committed (recording outcomes). */
  onCommit(callback: () => void): void {
    this.afterCommit.push(callback);
  }

  async commit(): Promise<void> {
    const queryRunner = this.queryRunner;
    if (!queryRunner) return;
    this.queryRunner = undefined;
    try {
      await queryRunner.commitTransaction();
    } finally {
      await queryRunner.release();
    }
    const callbacks = this.afterCommit;
    this.afterCommit = [];
    for (const callback of callbacks) callback();
  }

  /** Roll back whatever is open (after an error that is not a job's own). */
  async abandon(): Promise<void> {
    const queryRunner = this.queryRunner;
    this.queryRunner = undefined;
    this.afterCommit = [];
    if (!queryRunner) return;
    if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
    await queryRunner.release();
  }
}
