import type { EntityManager } from 'typeorm';
import type { FailureRecord } from './finishJob.ts';
import { runStatement } from './jobRow.ts';

const TEXT = `UPDATE job SET status = 'WAITING', lease_expires = NULL, claimed_by = NULL, date_finished = now(),
    scheduled_start = now() + make_interval(secs => $3::double precision / 1000),
    last_error = $4, last_oops = $5
  WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** RUNNING -> WAITING, not to start before `delayMs` has passed (a retry), recording why. */
export async function requeueJob(manager: EntityManager, id: number, owner: string, delayMs: number, failure: FailureRecord): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_requeue_job', TEXT, [id, owner, delayMs, failure.error, failure.oops])).length === 1;
}
