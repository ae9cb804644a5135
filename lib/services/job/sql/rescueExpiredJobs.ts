import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

// A RUNNING job whose lease has passed belongs to a runner that died (a live runner renews
// its leases). It goes back to WAITING while it has attempts left -- every job gets at least
// one more try, since a dead runner is rarely the job's fault -- and is FAILED after that.
const TEXT = `WITH expired AS (
    SELECT id, claimed_by AS previous_owner FROM job
    WHERE job.job_type = ANY($1::text[]) AND job.status = 'RUNNING' AND job.lease_expires < now()
    FOR UPDATE SKIP LOCKED)
  UPDATE job SET
    status = CASE WHEN job.attempt_count <= GREATEST(job.max_retries, 1) THEN 'WAITING' ELSE 'FAILED' END,
    date_finished = now(), lease_expires = NULL, claimed_by = NULL
  FROM expired WHERE job.id = expired.id
  RETURNING ${JOB_COLUMNS}, expired.previous_owner`;

export interface RescuedJob {
  job: Job;
  /** The runner (host:pid) that had claimed it. */
  previousOwner: string | null;
}

/** Requeue or fail jobs left RUNNING by dead runners; returns them in their new state. */
export async function rescueExpiredJobs(manager: EntityManager, jobTypes: readonly string[]): Promise<RescuedJob[]> {
  const rows = await runStatement<JobRow & { previous_owner: string | null }>(manager, 'jobsystem_rescue_expired_jobs', TEXT, [jobTypes]);
  return rows.map((row) => ({ job: jobFromRow(row), previousOwner: row.previous_owner }));
}
