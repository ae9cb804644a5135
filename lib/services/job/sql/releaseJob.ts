import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// A job claimed but never started (the runner is stopping): back to WAITING as if it had
// not been claimed; the attempt the claim counted is taken back. The ids are matched as a set,
// as in finishJobs.ts.
const TEXT = `UPDATE job SET status = 'WAITING', lease_expires = NULL, claimed_by = NULL,
    attempt_count = GREATEST(job.attempt_count - 1, 0)
  WHERE job.id IN (SELECT unnest($1::bigint[])) AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** Hand claimed, unstarted jobs back; returns how many. */
export async function releaseJobs(manager: EntityManager, ids: readonly number[], owner: string): Promise<number> {
  if (ids.length === 0) return 0;
  return (await runStatement(manager, 'jobsystem_release_jobs', TEXT, [ids, owner])).length;
}
