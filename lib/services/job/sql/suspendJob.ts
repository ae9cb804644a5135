import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

const TEXT = `UPDATE job SET status = 'SUSPENDED', lease_expires = NULL, claimed_by = NULL
  WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** RUNNING -> SUSPENDED: the job waits until someone resumes it. */
export async function suspendJob(manager: EntityManager, id: number, owner: string): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_suspend_job', TEXT, [id, owner])).length === 1;
}
