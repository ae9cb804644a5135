import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// A multi-step job's last task succeeded: COMPLETED, with the workspace it left and step equal
// to the number of tasks, in the transaction of the task's own writes. Only the owner of the
// attempt may complete it.
const TEXT = `UPDATE job SET status = 'COMPLETED', step = job.step + 1, workspace = $3::jsonb,
    date_finished = now(), lease_expires = NULL
  WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** RUNNING -> COMPLETED after the last step, saving `workspace`. False when `owner` no longer holds the job. */
export async function completeJobStep(manager: EntityManager, id: number, owner: string, workspace: Record<string, unknown>): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_complete_job_step', TEXT, [id, owner, JSON.stringify(workspace)])).length === 1;
}
