import type pg from 'pg';
import { statementConfig } from '../../database/preparedStatements.ts';

// The oldest finished jobs first, through job__finished_created__idx. SKIP LOCKED: a job row
// that someone holds (an operator retrying it, a runner still finishing it) is left for the
// next run instead of waiting for it. The date_finished condition keeps a job that was
// created long ago but finished recently (a retry, a resumed job) for the whole retention.
// Domain rows (foojob, ...) go with their job through ON DELETE CASCADE. `id = ANY(ARRAY(...))`
// rather than `id IN (...)`: the ids are collected once and deleted through the primary key,
// where `IN` lets the planner choose a hash join that reads the whole table for every batch.
const TEXT = `DELETE FROM job WHERE id = ANY (ARRAY(
    SELECT id FROM job
    WHERE status IN ('COMPLETED', 'FAILED')
      AND date_created < $1
      AND (date_finished IS NULL OR date_finished < $1)
    ORDER BY date_created
    LIMIT $2
    FOR UPDATE SKIP LOCKED))`;

/**
 * Delete up to `limit` COMPLETED or FAILED jobs created and finished before `cutoff`, in one
 * statement (one short transaction when `client` is not in one); returns how many.
 */
export async function deleteFinishedJobs(client: pg.ClientBase | pg.Pool, cutoff: Date, limit: number): Promise<number> {
  const result = await client.query(statementConfig(client, 'jobsystem_delete_finished_jobs', TEXT, [cutoff, limit]));
  return result.rowCount ?? 0;
}
