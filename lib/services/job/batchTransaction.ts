import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { finishJobs } from './sql/finishJobs.ts';

interface RawClient {
  query(...args: unknown[]): unknown;
}

/**
 * One transaction shared by the quick jobs of a batch, with a SAVEPOINT around each job: a
 * job's writes and its status still commit together (or roll back together, to its
 * savepoint), while the cost of a commit is shared by the batch. Between two jobs one round
 * trip releases the last savepoint and sets the next; the jobs that completed are marked
 * COMPLETED by one statement just before COMMIT. Opened on first use.
 */
export class BatchTransaction {
  private queryRunner: QueryRunner | undefined;
  private client: RawClient | undefined;
  private inSavepoint = false;
  private completed: number[] = [];
  private members: number[] = [];
  private afterCommit: Array<() => void | Promise<void>> = [];
  private openedAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly owner: string,
  ) {}

  /** How long the open transaction has been open (0 when none is). */
  get ageMs(): number {
    return this.queryRunner ? Date.now() - this.openedAt : 0;
  }

  private async open(): Promise<{ queryRunner: QueryRunner; client: RawClient }> {
    if (!this.queryRunner || !this.client) {
      const queryRunner = this.dataSource.createQueryRunner();
      await queryRunner.connect();
      try {
        await queryRunner.startTransaction();
      } catch (error) {
        await queryRunner.release();
        throw error;
      }
      this.queryRunner = queryRunner;
      this.client = (queryRunner as unknown as { databaseConnection: RawClient }).databaseConnection;
      this.inSavepoint = false;
      this.openedAt = Date.now();
    }
    return { queryRunner: this.queryRunner, client: this.client };
  }

  /**
   * Run one job's `work` inside its own savepoint. When it throws, roll back to the
   * savepoint (the transaction stays usable) and rethrow.
   */
  async step(jobId: number, work: (manager: EntityManager) => Promise<void>): Promise<void> {
    const { queryRunner, client } = await this.open();
    this.members.push(jobId);
    // The savepoint is set just before the job's first statement on this connection: a
    // job that does not touch the database costs no round trip at all. The connection
    // runs its queries in order, so the savepoint need not be awaited before the statement.
    const original = client.query;
    let savepointSet = false;
    client.query = (...args: unknown[]) => {
      if (!savepointSet) {
        savepointSet = true;
        const savepoint = original.call(client, this.inSavepoint ? 'RELEASE SAVEPOINT job; SAVEPOINT job' : 'SAVEPOINT job') as Promise<unknown>;
        this.inSavepoint = true;
        // If it fails, the statement queued behind it fails too, and reports the error.
        savepoint.catch(() => undefined);
      }
      return original.apply(client, args);
    };
    try {
      await work(queryRunner.manager);
    } catch (error) {
      if (savepointSet) await original.call(client, 'ROLLBACK TO SAVEPOINT job');
      throw error;
    } finally {
      client.query = original;
    }
  }

  /** Statements after a failed step (requeue, fail...), in the same transaction. */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return work((await this.open()).queryRunner.manager);
  }

  /** The job finished its step: mark it COMPLETED at commit, then call `onCommitted`. */
  completedJob(id: number, onCommitted: () => void): void {
    this.completed.push(id);
    this.afterCommit.push(onCommitted);
  }

  /** Something to do once the transaction has committed (recording an outcome, writing its
   * OOPS report, notifying): nothing of it happens when the transaction rolls back. */
  onCommit(callback: () => void | Promise<void>): void {
    this.afterCommit.push(callback);
  }

  /**
   * Mark the completed jobs and commit. When a completed job is no longer this runner's
   * (its lease passed and another runner took it), nothing of the transaction is committed
   * and the ids of every job that ran in it come back, for the caller to hand back; the
   * onCommit callbacks are then dropped. After a commit they run in order, each awaited.
   */
  async commit(): Promise<number[]> {
    const queryRunner = this.queryRunner;
    if (!queryRunner) return [];
    const completed = this.completed;
    const members = this.members;
    const callbacks = this.afterCommit;
    this.queryRunner = undefined;
    this.client = undefined;
    this.completed = [];
    this.members = [];
    this.afterCommit = [];
    try {
      const finished = await finishJobs(queryRunner.manager, completed, this.owner, 'COMPLETED');
      if (finished !== completed.length) {
        await queryRunner.rollbackTransaction();
        return members;
      }
      await queryRunner.commitTransaction();
    } catch (error) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await queryRunner.release();
    }
    for (const callback of callbacks) await callback();
    return [];
  }

  /** Roll back whatever is open (after an error that is not a job's own). */
  async abandon(): Promise<void> {
    const queryRunner = this.queryRunner;
    this.queryRunner = undefined;
    this.client = undefined;
    this.completed = [];
    this.members = [];
    this.afterCommit = [];
    if (!queryRunner) return;
    if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
    await queryRunner.release();
  }
}
