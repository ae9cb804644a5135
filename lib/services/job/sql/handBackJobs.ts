import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// A runner about to exit after a job crashed it (an uncaught exception or unhandled rejection)
// hands back every job it holds but the one to blame: WAITING again, the attempt its claim
// counted taken back (as releaseJobs does). Jobs that were running when the blame could not be
// laid on one of them are marked as suspects (runner_deaths + 1), to be run on their own.
// One statement, so the hand-back is all or nothing; rows the runner's own open transaction
// has locked are not among them (a batch only writes job rows at its commit).
const TEXT = `UPDATE job SET status = 'WAITING', lease_expires = NULL, claimed_by = NULL,
    attempt_count = GREATEST(job.attempt_count - 1, 0),
    runner_deaths = job.runner_deaths + CASE WHEN job.id = ANY($3::bigint[]) THEN 1 ELSE 0 END
  WHERE job.status = 'RUNNING' AND job.claimed_by = $1 AND job.id <> ALL($2::bigint[])
  RETURNING job.id`;

/** Hand back `owner`'s RUNNING jobs except `keep`, marking `suspects` among them; returns how many. */
export async function handBackJobs(manager: EntityManager, owner: string, keep: readonly number[], suspects: readonly number[]): Promise<number> {
  const rows = await runStatement(manager, 'jobsystem_hand_back_jobs', TEXT, [owner, `{${keep.join(',')}}`, `{${suspects.join(',')}}`]);
  return rows.length;
}
