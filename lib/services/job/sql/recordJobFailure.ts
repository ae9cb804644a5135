import type { EntityManager } from 'typeorm';
import type { FailureRecord } from './finishJob.ts';
import { runStatement } from './jobRow.ts';

// For a job that a set-based statement already FAILED (rescueExpiredJobs.ts: its runner died
// too often), the why follows in a statement of its own, once its OOPS id exists. The status is
// not changed here, only the record of why.
const TEXT = `UPDATE job SET last_error = $2, last_oops = $3
  WHERE job.id = $1 AND job.status = 'FAILED'
  RETURNING job.id`;

/** Record why an already FAILED job failed (job.last_error, job.last_oops). */
export async function recordJobFailure(manager: EntityManager, id: number, failure: FailureRecord): Promise<boolean> {
  return (await runStatement(manager, 'jobsystem_record_job_failure', TEXT, [id, failure.error, failure.oops])).length === 1;
}
