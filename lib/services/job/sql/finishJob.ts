import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

/** Why a job failed, written with its FAILED or requeued status (job.last_error, job.last_oops). */
export interface FailureRecord {
  /** One line, `Name: message` (errorSummary.ts). */
  error: string;
  /** The OOPS id filed for it, if any. */
  oops: string | null;
}

// Only the owner of the current attempt may finish it: a runner whose lease ran out and whose
// job was claimed again finds no row here, and must roll its work back. Without a failure
// ($4 NULL) the last error and OOPS of an earlier attempt are kept, as history.
const TEXT = `UPDATE job SET status = $3, date_finished = now(), lease_expires = NULL,
    last_error = CASE WHEN $4::text IS NULL THEN job.last_error ELSE $4::text END,
    last_oops = CASE WHEN $4::text IS NULL THEN job.last_oops ELSE $5::text END
  WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2
  RETURNING job.id`;

/** RUNNING -> COMPLETED or FAILED (with why, when given). False when `owner` no longer holds the job. */
export async function finishJob(manager: EntityManager, id: number, owner: string, status: 'COMPLETED' | 'FAILED', failure?: FailureRecord): Promise<boolean> {
  const values = [id, owner, status, failure?.error ?? null, failure?.oops ?? null];
  return (await runStatement(manager, 'jobsystem_finish_job', TEXT, values)).length === 1;
}
