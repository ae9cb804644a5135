import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// Only the owner of the current attempt may finish it: a runner whose lease ran out and whose
// job was claimed again finds no row here, and must roll its work back.
const TEXT = `UPDATE job SET status = $3, date_finished = now(), lease_expires = NULL
  WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** RUNNING -> COMPLETED or FAILED. False when `owner` no longer holds the job. */
export async function finishJob(manager: EntityManager, id: number, owner: string, status: 'COMPLETED' | 'FAILED'): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_finish_job', TEXT, [id, owner, status])).length === 1;
}
