import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

export interface NewJob {
  jobType: string;
  maxRetries?: number;
  requester?: string | null;
  jsonData?: Record<string, unknown> | null;
  scheduledStart?: Date | null;
}

const TEXT = `INSERT INTO job (job_type, max_retries, requester, json_data, scheduled_start)
  VALUES ($1, $2, $3, $4, $5) RETURNING ${JOB_COLUMNS}`;

/** Insert one WAITING job in the caller's transaction. */
export async function insertJob(manager: EntityManager, job: NewJob): Promise<Job> {
  const rows = await runStatement<JobRow>(manager, 'jobsystem_insert_job', TEXT, [
    job.jobType,
    job.maxRetries ?? 0,
    job.requester ?? null,
    job.jsonData ?? null,
    job.scheduledStart ?? null,
  ]);
  return jobFromRow(rows[0]!);
}
