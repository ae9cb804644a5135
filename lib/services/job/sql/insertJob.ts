import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

export interface NewJob {
  jobType: string;
  maxRetries?: number;
  requester?: string | null;
  jsonData?: Record<string, unknown> | null;
  scheduledStart?: Date | null;
  /** Default 'default'. */
  queueName?: string;
  /** Higher runs first within the queue; default 0. */
  priority?: number;
}

const TEXT = `INSERT INTO job (job_type, max_retries, requester, json_data, scheduled_start, queue_name, priority)
  VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${JOB_COLUMNS}`;

/** Insert one WAITING job in the caller's transaction. */
export async function insertJob(manager: EntityManager, job: NewJob): Promise<Job> {
  const rows = await runStatement<JobRow>(manager, 'jobsystem_insert_job', TEXT, [
    job.jobType,
    job.maxRetries ?? 0,
    job.requester ?? null,
    job.jsonData ?? null,
    job.scheduledStart ?? null,
    job.queueName ?? 'default',
    job.priority ?? 0,
  ]);
  return jobFromRow(rows[0]!);
}
