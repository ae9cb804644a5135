import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// A runner about to exit after a job crashed it (an uncaught exception or unhandled rejection)
// hands back every job it holds: WAITING again, the attempt its claim counted taken back (as
// releaseJobs does). The jobs that were running are marked as suspects (runner_deaths + 1),
// to be run on their own, where the guilty one shows itself. One statement, so the hand-back
// is all or nothing; a batch's job rows are not locked by its open transaction (it writes
// them at its commit), so nothing here waits for the runner's own transactions.
// A long-running worker that lost its database in the middle of a cycle hands back, once it
// is back, the jobs its cycle held (none of them runs any more: a cycle ends only when all its
// jobs have): only those of its lane's job types and queues ($3, $4), since other lanes of the
// same process (the same owner) may be running theirs.
const TEXT = `UPDATE job SET status = 'WAITING', lease_expires = NULL, claimed_by = NULL,
    attempt_count = GREATEST(job.attempt_count - 1, 0),
    runner_deaths = job.runner_deaths + CASE WHEN job.id = ANY($2::bigint[]) THEN 1 ELSE 0 END
  WHERE job.status = 'RUNNING' AND job.claimed_by = $1
    AND ($3::text[] IS NULL OR job.job_type = ANY($3::text[]))
    AND ($4::text[] IS NULL OR job.queue_name = ANY($4::text[]))
  RETURNING job.id`;

/** Hand back `owner`'s RUNNING jobs (all of them, or those of `only`'s job types and queues),
 * marking `suspects` among them; returns how many. */
export async function handBackJobs(manager: EntityManager, owner: string, suspects: readonly number[], only?: { jobTypes: readonly string[]; queues: readonly string[] }): Promise<number> {
  const rows = await runStatement(manager, 'jobsystem_hand_back_jobs', TEXT, [owner, `{${suspects.join(',')}}`, only?.jobTypes ?? null, only?.queues ?? null]);
  return rows.length;
}
