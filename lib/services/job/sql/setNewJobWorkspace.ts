import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// The creation hook's edits to a job's workspace, in the transaction that inserted the job
// (nobody else can see the row yet, so no owner guard is needed).
const TEXT = `UPDATE job SET workspace = $2::jsonb WHERE job.id = $1 RETURNING job.id`;

/** Replace the workspace of a job just inserted in the caller's transaction. */
export async function setNewJobWorkspace(manager: EntityManager, id: number, workspace: Record<string, unknown>): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_set_new_job_workspace', TEXT, [id, JSON.stringify(workspace)])).length === 1;
}
