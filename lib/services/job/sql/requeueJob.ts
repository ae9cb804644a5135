import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

const TEXT = `UPDATE job SET status = 'WAITING', lease_expires = NULL, claimed_by = NULL, date_finished = now(),
    scheduled_start = now() + make_interval(secs => $3::double precision / 1000)
  WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** RUNNING -> WAITING, not to start before `delayMs` has passed (a retry). */
export async function requeueJob(manager: EntityManager, id: number, owner: string, delayMs: number): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_requeue_job', TEXT, [id, owner, delayMs])).length === 1;
}
