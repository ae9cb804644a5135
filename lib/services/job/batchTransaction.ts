import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { namedStatementsOn } from '../database/preparedStatements.ts';
import type { KeptConnection } from './keptConnection.ts';
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
 *
 * START TRANSACTION is not a round trip of its own: claimAndBegin writes it behind the claim
 * on the batch's connection (the runner's way when the claimed jobs are expected to be
 * quick), or else it goes just before the transaction's first statement. Either way, when the
 * transaction's first statement is a job's, the job needs no savepoint (a job that fails there
 * rolls the whole transaction back: nothing else has written in it yet, and the next statement
 * starts a new one). A woken worker's one job then waits behind no statement once its claim is
 * back. TypeORM's query runner is told that its transaction is active from the start, so a
 * job's own manager.transaction() nests in it as a savepoint, as before.
 */
export class BatchTransaction {
  private queryRunner: QueryRunner | undefined;
  private client: RawClient | undefined;
  private inSavepoint = false;
  /** START TRANSACTION has been sent on the open connection. */
  private begun = false;
  /** Begun behind the claim (claimAndBegin) and nothing has run in it yet: its first job needs
   * no savepoint. */
  private fresh = false;
  private completed: number[] = [];
  private members: number[] = [];
  private afterCommit: Array<() => void | Promise<void>> = [];
  private openedAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly owner: string,
    /** Where a long-running worker keeps its batch connection between runs (none: the pool's). */
    private readonly kept?: KeptConnection,
  ) {}

  /** How long the open transaction has been open (0 when none is). */
  get ageMs(): number {
    return this.queryRunner ? Date.now() - this.openedAt : 0;
  }

  private async open(): Promise<{ queryRunner: QueryRunner; client: RawClient }> {
    if (!this.queryRunner || !this.client) {
      let queryRunner = this.kept?.take();
      if (!queryRunner) {
        queryRunner = this.dataSource.createQueryRunner();
        await queryRunner.connect();
      }
      // What startTransaction() would record; START TRANSACTION itself is sent by begin().
      Object.assign(queryRunner, { isTransactionActive: true, transactionDepth: 1 });
      this.queryRunner = queryRunner;
      this.client = (queryRunner as unknown as { databaseConnection: RawClient }).databaseConnection;
      this.inSavepoint = false;
      this.begun = false;
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
    // The transaction's first statement starts it instead (see above).
    const original = client.query;
    // Put back as it was: the client's own method, not a copy of it on the instance (a kept
    // connection serves many batches, each of which wraps it again).
    const hadOwn = Object.prototype.hasOwnProperty.call(client, 'query');
    const unwrap = () => {
      if (hadOwn) client.query = original;
      else delete (client as Partial<RawClient>).query;
    };
    let savepointSet = false;
    let startedHere = false;
    client.query = (...args: unknown[]) => {
      if (this.fresh && !savepointSet && !startedHere) {
        // Begun behind the claim and empty: this job's statements are its first, as if they
        // had started it.
        this.fresh = false;
        startedHere = true;
      } else if (!savepointSet && !startedHere) {
        let first: string;
        if (this.begun) {
          savepointSet = true;
          first = this.inSavepoint ? 'RELEASE SAVEPOINT job; SAVEPOINT job' : 'SAVEPOINT job';
          this.inSavepoint = true;
        } else {
          startedHere = true;
          this.begun = true;
          first = 'START TRANSACTION';
        }
        // If it fails, the statement queued behind it fails too, and reports the error.
        (original.call(client, first) as Promise<unknown>).catch(() => undefined);
      }
      return original.apply(client, args);
    };
    try {
      await work(queryRunner.manager);
    } catch (error) {
      unwrap();
      if (savepointSet) await original.call(client, 'ROLLBACK TO SAVEPOINT job');
      else if (startedHere) {
        // Only this job wrote in the transaction: roll it all back; the next statement
        // starts a new one.
        this.begun = false;
        await original.call(client, 'ROLLBACK');
      }
      throw error;
    } finally {
      unwrap();
    }
  }

  /**
   * Whether claimAndBegin may serve `loops` work loops of one runner: not through a
   * transaction-mode pooler (each statement there may reach another server), and with a
   * connection in the pool beside every loop's batch (the claimed rows are turned into jobs,
   * and the heartbeat runs, on other connections while the batches hold theirs).
   */
  canClaim(loops: number): boolean {
    const pool = (this.dataSource.driver as unknown as { master: { options?: { max?: number } } }).master;
    return namedStatementsOn(pool) && (pool.options?.max ?? 0) > loops;
  }

  /**
   * Run `claim` (one autocommit statement) on this batch's connection with START TRANSACTION
   * written right behind it, without waiting for the claim's result (pg's pipeline mode, for
   * these two statements only): one round trip claims, commits the claim and opens the batch's
   * transaction, so the claimed batch's first job waits behind no statement. Nothing has run in
   * the transaction, so its first job needs no savepoint either. When the claim finds nothing
   * (or fails) the caller abandons the batch, which rolls the empty transaction back.
   */
  async claimAndBegin<T>(claim: (manager: EntityManager) => Promise<T>): Promise<T> {
    const { queryRunner, client } = await this.open();
    const pipelined = client as RawClient & { pipeline?: boolean };
    this.begun = true;
    this.fresh = true;
    this.inSavepoint = false;
    pipelined.pipeline = true;
    let claimed: Promise<T>;
    let begun: Promise<unknown>;
    try {
      // open() told the query runner that its transaction is active, so the claim's statement
      // goes to this connection (runStatement): sent before START TRANSACTION, it commits alone.
      claimed = claim(queryRunner.manager);
      begun = client.query('START TRANSACTION') as Promise<unknown>;
    } catch (error) {
      pipelined.pipeline = false;
      throw error;
    }
    // Back to one statement at a time only once both are answered: pg moves a pipelined
    // statement to its active slot only while in pipeline mode.
    const [claimResult, beginResult] = await Promise.allSettled([claimed, begun]);
    pipelined.pipeline = false;
    if (claimResult.status === 'rejected') throw claimResult.reason;
    if (beginResult.status === 'rejected') throw beginResult.reason;
    return claimResult.value;
  }

  /** Send START TRANSACTION now if no statement has yet (before statements that are no job's). */
  private async begin(client: RawClient): Promise<void> {
    this.fresh = false;
    if (this.begun) return;
    this.begun = true;
    this.inSavepoint = false;
    await client.query('START TRANSACTION');
  }

  /** Statements after a failed step (requeue, fail...), in the same transaction. */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const { queryRunner, client } = await this.open();
    await this.begin(client);
    return work(queryRunner.manager);
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
    const client = this.client!;
    const begun = this.begun;
    const completed = this.completed;
    const members = this.members;
    const callbacks = this.afterCommit;
    this.queryRunner = undefined;
    this.client = undefined;
    this.completed = [];
    this.members = [];
    this.afterCommit = [];
    this.begun = false;
    this.fresh = false;
    try {
      if (!begun && completed.length === 0) {
        // Nothing was written (every job of it failed at its first statement, or touched
        // nothing): there is nothing to commit.
        Object.assign(queryRunner, { isTransactionActive: false, transactionDepth: 0 });
      } else {
        if (!begun) await client.query('START TRANSACTION');
        const finished = await finishJobs(queryRunner.manager, completed, this.owner, 'COMPLETED');
        if (finished !== completed.length) {
          await queryRunner.rollbackTransaction();
          await this.putAway(queryRunner);
          return members;
        }
        await queryRunner.commitTransaction();
      }
    } catch (error) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      await queryRunner.release();
      throw error;
    }
    await this.putAway(queryRunner);
    for (const callback of callbacks) await callback();
    return [];
  }

  /** A connection whose transaction has ended: kept for the next batch, or back to the pool. */
  private async putAway(queryRunner: QueryRunner): Promise<void> {
    if (this.kept) await this.kept.give(queryRunner);
    else await queryRunner.release();
  }

  /** Roll back whatever is open (after an error that is not a job's own). */
  async abandon(): Promise<void> {
    const queryRunner = this.queryRunner;
    const begun = this.begun;
    this.queryRunner = undefined;
    this.client = undefined;
    this.begun = false;
    this.fresh = false;
    this.completed = [];
    this.members = [];
    this.afterCommit = [];
    if (!queryRunner) return;
    if (!begun) Object.assign(queryRunner, { isTransactionActive: false, transactionDepth: 0 });
    const rolledBack = !queryRunner.isTransactionActive || (await queryRunner.rollbackTransaction().then(() => true, () => false));
    // A connection whose rollback failed is not kept: it may be broken.
    if (rolledBack) await this.putAway(queryRunner);
    else await queryRunner.release();
  }
}
