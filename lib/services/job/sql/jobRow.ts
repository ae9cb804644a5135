import type { EntityManager } from 'typeorm';
import { Job } from '../model/job.ts';
import { statementConfig } from '../../database/preparedStatements.ts';

/** The job columns every hot-path statement returns, in one place. */
export const JOB_COLUMNS = `job.id, job.job_type, job.status, job.attempt_count, job.max_retries, job.log,
  job.scheduled_start, job.lease_expires, job.date_created, job.date_started, job.date_finished,
  job.requester, job.json_data, job.claimed_by, job.step, job.workspace, job.queue_name, job.priority`;

export { READY_CONDITION } from './readyCondition.ts';

export interface JobRow {
  id: number;
  job_type: string;
  status: Job['status'];
  attempt_count: number;
  max_retries: number;
  log: string | null;
  scheduled_start: Date | null;
  lease_expires: Date | null;
  date_created: Date;
  date_started: Date | null;
  date_finished: Date | null;
  requester: string | null;
  json_data: Record<string, unknown> | null;
  claimed_by: string | null;
  step: number;
  workspace: Record<string, unknown> | null;
  queue_name: string;
  priority: number;
}

/** A Job entity from a raw row, without the ORM's hydration cost. */
export function jobFromRow(row: JobRow): Job {
  const job = new Job();
  job.id = Number(row.id);
  job.jobType = row.job_type;
  job.status = row.status;
  job.attemptCount = row.attempt_count;
  job.maxRetries = row.max_retries;
  job.log = row.log;
  job.scheduledStart = row.scheduled_start;
  job.leaseExpires = row.lease_expires;
  job.dateCreated = row.date_created;
  job.dateStarted = row.date_started;
  job.dateFinished = row.date_finished;
  job.requester = row.requester;
  job.jsonData = row.json_data;
  job.claimedBy = row.claimed_by;
  job.step = row.step;
  job.workspace = row.workspace;
  job.queueName = row.queue_name;
  job.priority = row.priority;
  return job;
}

interface PgQueryable {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Run one statement as a named prepared statement (parsed and planned once per connection;
 * unnamed behind a transaction-mode pooler, preparedStatements.ts): inside the manager's
 * transaction on the transaction's own connection, otherwise on any connection of the pool
 * (autocommit). A null name sends it unnamed, planned for the values it is given.
 */
export async function runStatement<Row>(manager: EntityManager, name: string | null, text: string, values: unknown[]): Promise<Row[]> {
  const queryRunner = manager.queryRunner as unknown as { databaseConnection?: PgQueryable; isTransactionActive?: boolean } | undefined;
  const target: PgQueryable = queryRunner?.databaseConnection && queryRunner.isTransactionActive
    ? queryRunner.databaseConnection
    : (manager.connection.driver as unknown as { master: PgQueryable }).master;
  return (await target.query(statementConfig(target, name, text, values))).rows as Row[];
}

/** From this many ids a statement matching `id = ANY($1)` is planned for its ids (see idsStatementName). */
const PLANNED_FOR_IDS_FROM = 100;

/**
 * The name of a statement that matches many job ids (`job.id = ANY($1::bigint[])`, with a guard
 * on status): a batch's ids are planned as the constant they are. A kept (generic) plan sees only
 * a parameter: it cannot hash the array, and when it reads the rows through a status index (as
 * it does whenever its statistics show few such rows) it compares every row with every id,
 * 2,000 x 2,000 comparisons for a batch of 2,000. Planned for the ids, the array is hashed or
 * read through the primary key. Fewer ids keep the prepared statement (planning would cost
 * more than the comparisons). A role or database set to plan_cache_mode = force_generic_plan
 * gets the kept plan's filter even so.
 */
export function idsStatementName(name: string, ids: readonly unknown[]): string | null {
  return ids.length >= PLANNED_FOR_IDS_FROM ? null : name;
}
