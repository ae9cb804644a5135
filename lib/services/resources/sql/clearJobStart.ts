import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';

// A job refused at its turn (its resource is not what was predicted) never started: the claim
// set date_started, and this takes it back in the transaction that marks the job FAILED, so the
// record shows it queued and ended, never started. The attempt stays counted.
const TEXT = `UPDATE job SET date_started = NULL WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2`;

export async function clearJobStart(manager: EntityManager, id: number, owner: string): Promise<void> {
  await runStatement(manager, 'jobsystem_clear_job_start', TEXT, [id, owner]);
}
