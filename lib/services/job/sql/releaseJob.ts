import type { EntityManager } from 'typeorm';
import { idsStatementName, runStatement } from './jobRow.ts';

// A job claimed but never started (the runner is stopping): back to WAITING as if it had
// not been claimed; the attempt the claim counted is taken back. Many ids are planned as the
// constant they are (idsStatementName, jobRow.ts).
const TEXT = `UPDATE job SET status = 'WAITING', lease_expires = NULL, claimed_by = NULL,
    attempt_count = GREATEST(job.attempt_count - 1, 0)
  WHERE job.id = ANY($1::bigint[]) AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** Hand claimed, unstarted jobs back; returns how many. */
export async function releaseJobs(manager: EntityManager, ids: readonly number[], owner: string): Promise<number> {
  if (ids.length === 0) return 0;
  return (await runStatement(manager, idsStatementName('jobsystem_release_jobs', ids), TEXT, [ids, owner])).length;
}
