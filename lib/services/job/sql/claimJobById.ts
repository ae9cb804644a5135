import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, READY_CONDITION, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

// Start one given job if it is still ready: the WHERE re-checks status and lease under the
// row lock the UPDATE takes, so two runners handed the same job cannot both start it.
const TEXT = `UPDATE job SET status = 'RUNNING', attempt_count = job.attempt_count + 1,
    date_started = now(), date_finished = NULL,
    lease_expires = now() + make_interval(secs => $2::double precision / 1000), claimed_by = $3
  WHERE job.id = $1 AND ${READY_CONDITION}
  RETURNING ${JOB_COLUMNS}`;

/** The job, now RUNNING and leased to `owner`; undefined when it was not ready (lease held). */
export async function claimJobById(manager: EntityManager, id: number, leaseMs: number, owner: string): Promise<Job | undefined> {
  const rows = await runStatement<JobRow>(manager, 'jobsystem_claim_job_by_id', TEXT, [id, leaseMs, owner]);
  return rows[0] ? jobFromRow(rows[0]) : undefined;
}
