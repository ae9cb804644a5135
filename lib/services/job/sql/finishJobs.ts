import type { EntityManager } from 'typeorm';
import { idsStatementName, runStatement } from './jobRow.ts';

// The batch form of finishJob: one statement marks every job of a batch transaction that
// completed, just before the transaction commits. The claimed_by guard is the same.
// The ids go as one array literal ('{1,2,3}'), which costs less to build than pg's
// element-by-element escaping, and the count of rows comes back, not the rows.
// A batch's ids are planned as the constant they are (idsStatementName, jobRow.ts).
export const FINISH_JOBS = `WITH finished AS (
    UPDATE job SET status = $3, date_finished = now(), lease_expires = NULL
    WHERE job.id = ANY($1::bigint[]) AND job.status = 'RUNNING' AND job.claimed_by = $2
    RETURNING 1)
  SELECT count(*)::integer AS count FROM finished`;

/** RUNNING -> COMPLETED or FAILED for many jobs; returns how many `owner` still held. */
export async function finishJobs(manager: EntityManager, ids: readonly number[], owner: string, status: 'COMPLETED' | 'FAILED'): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await runStatement<{ count: number }>(manager, idsStatementName('jobsystem_finish_jobs', ids), FINISH_JOBS, [`{${ids.join(',')}}`, owner, status]);
  return row!.count;
}
