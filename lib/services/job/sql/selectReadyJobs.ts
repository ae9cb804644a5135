import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, READY_CONDITION, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

const TEXT = `SELECT ${JOB_COLUMNS} FROM job WHERE job.job_type = ANY($1::text[]) AND ${READY_CONDITION} ORDER BY job.id`;

/** The ready jobs of some types, oldest first (Launchpad's Job.ready_jobs), without claiming them. */
export async function selectReadyJobs(manager: EntityManager, jobTypes: readonly string[]): Promise<Job[]> {
  const rows = await runStatement<JobRow>(manager, 'jobsystem_select_ready_jobs', TEXT, [jobTypes]);
  return rows.map(jobFromRow);
}
