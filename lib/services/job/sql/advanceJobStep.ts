import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// A multi-step job's task succeeded and more tasks remain: the job is ready again at its next
// step, with the workspace the task left, in the transaction of the task's own writes (so a
// crash loses at most the step that was running, never a step that committed). The lease and
// owner are cleared so that any runner may take the next step; attempt_count starts again at 0
// because retries are counted per step (max_retries applies to each step). date_started is
// kept: claimJobs does not claim again in the same run a job started during it, so one run
// advances a job by one step. Only the owner of the attempt may advance it.
const TEXT = `UPDATE job SET status = 'WAITING', step = job.step + 1, workspace = $3::jsonb,
    lease_expires = NULL, claimed_by = NULL, attempt_count = 0, scheduled_start = NULL
  WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** RUNNING -> WAITING at step + 1 with `workspace`. False when `owner` no longer holds the job. */
export async function advanceJobStep(manager: EntityManager, id: number, owner: string, workspace: Record<string, unknown>): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_advance_job_step', TEXT, [id, owner, JSON.stringify(workspace)])).length === 1;
}
