import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

const TEXT = `SELECT ${JOB_COLUMNS} FROM job WHERE job.id = $1 AND job.status = 'RUNNING' AND job.claimed_by = $2`;

/** The job, if it is RUNNING and claimed by `owner` (an isolated worker checks before it runs). */
export async function selectClaimedJob(manager: EntityManager, id: number, owner: string): Promise<Job | undefined> {
  const rows = await runStatement<JobRow>(manager, 'jobsystem_select_claimed_job', TEXT, [id, owner]);
  return rows[0] ? jobFromRow(rows[0]) : undefined;
}
