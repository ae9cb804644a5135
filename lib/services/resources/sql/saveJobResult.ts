import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';

// Written in the run's transaction just before finishJob() marks it COMPLETED, so the result
// commits with the status; guarded like finishJob by the owner of the attempt.
const TEXT = `UPDATE job SET result = $3::jsonb WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2 RETURNING job.id`;

/** Store what run() returned (JSON text); false when `owner` no longer holds the job. */
export async function saveJobResult(manager: EntityManager, id: number, owner: string, resultJson: string): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_save_job_result', TEXT, [id, owner, resultJson])).length === 1;
}
