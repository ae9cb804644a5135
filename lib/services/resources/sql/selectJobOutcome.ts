import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';
import type { JobStatus } from '../../job/interfaces/jobStatus.ts';

const TEXT = `SELECT job.id, job.job_type, job.status, job.result, job.last_error, job.attempt_count,
    job.resource_type, job.resource_name, job.date_created, job.date_started, job.date_finished
  FROM job WHERE job.id = $1`;

export interface JobOutcomeRow {
  id: string;
  job_type: string;
  status: JobStatus;
  result: unknown;
  last_error: string | null;
  attempt_count: number;
  resource_type: string | null;
  resource_name: string | null;
  date_created: Date;
  date_started: Date | null;
  date_finished: Date | null;
}

export async function selectJobOutcome(manager: EntityManager, id: number): Promise<JobOutcomeRow | undefined> {
  const [row] = await runStatement<JobOutcomeRow>(manager, 'jobsystem_select_job_outcome', TEXT, [id]);
  return row;
}
