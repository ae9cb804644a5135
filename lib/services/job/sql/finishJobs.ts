import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// The batch form of finishJob: one statement marks every job of a batch transaction that
// completed, just before the transaction commits. The claimed_by guard is the same.
const TEXT = `UPDATE job SET status = $3, date_finished = now(), lease_expires = NULL
  WHERE job.id = ANY($1::bigint[]) AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** RUNNING -> COMPLETED or FAILED for many jobs; returns the ids that `owner` still held. */
export async function finishJobs(manager: EntityManager, ids: readonly number[], owner: string, status: 'COMPLETED' | 'FAILED'): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await runStatement<{ id: number }>(manager, 'jobsystem_finish_jobs', TEXT, [ids, owner, status]);
  return rows.map((row) => Number(row.id));
}
