import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// The batch form of finishJob: one statement marks every job of a batch transaction that
// completed, just before the transaction commits. The claimed_by guard is the same.
// The ids go as one array literal ('{1,2,3}'), which costs less to build than pg's
// element-by-element escaping, and the count of rows comes back, not the rows.
// The ids are matched as a set (`IN (SELECT unnest(...))`: a hash of them, or one primary-key
// probe each), not as `id = ANY($1)`: a prepared statement's generic plan cannot hash a
// parameter array, and when the planner reads the RUNNING rows from job__running_lease__idx
// (as it does whenever its statistics show few running jobs) `= ANY` became a filter that
// compared every running row with every id: 2,000 x 2,000 comparisons, most of a batch
// finish's cost (tests/claimStatement.test.ts).
export const FINISH_JOBS = `WITH finished AS (
    UPDATE job SET status = $3, date_finished = now(), lease_expires = NULL
    WHERE job.id IN (SELECT unnest($1::bigint[])) AND job.status = 'RUNNING' AND job.claimed_by = $2
    RETURNING 1)
  SELECT count(*)::integer AS count FROM finished`;

/** RUNNING -> COMPLETED or FAILED for many jobs; returns how many `owner` still held. */
export async function finishJobs(manager: EntityManager, ids: readonly number[], owner: string, status: 'COMPLETED' | 'FAILED'): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await runStatement<{ count: number }>(manager, 'jobsystem_finish_jobs', FINISH_JOBS, [`{${ids.join(',')}}`, owner, status]);
  return row!.count;
}
