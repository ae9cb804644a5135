import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// The failure hook's edits to a multi-step job's workspace, written in the transaction that
// then marks the job FAILED, and only while `owner` still runs it.
const TEXT = `UPDATE job SET workspace = $3::jsonb
  WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** Replace the workspace of a job `owner` is running. False when it no longer holds the job. */
export async function saveWorkspace(manager: EntityManager, id: number, owner: string, workspace: Record<string, unknown>): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_save_workspace', TEXT, [id, owner, JSON.stringify(workspace)])).length === 1;
}
