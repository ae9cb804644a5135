import type { EntityManager } from 'typeorm';
import { checkCreationStatus } from '../../job/interfaces/jobStatus.ts';
import { JOB_COLUMNS, jobFromRow, runStatement, type JobRow } from '../../job/sql/jobRow.ts';
import type { Job } from '../../job/model/job.ts';

export interface NewResourceJob {
  jobType: string;
  resourceType: string;
  resourceName: string;
  /** encodeOptions()'s text. */
  resourceOptions: string;
  jsonData: Record<string, unknown> | null;
  maxRetries: number;
  requester: string | null;
  scheduledStart: Date | null;
  queueName: string;
  priority: number;
  /** WAITING, or FAILED for a job refused at enqueue (with why, in lastError). */
  status: 'WAITING' | 'FAILED';
  lastError: string | null;
}

// A refused job is born FAILED and finished: it has an id to look up and its error, and no
// claim ever sees it (the ready condition wants WAITING).
const TEXT = `INSERT INTO job (job_type, resource_type, resource_name, resource_options, json_data, max_retries,
    requester, scheduled_start, queue_name, priority, status, last_error, date_finished)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $11::text = 'FAILED' THEN now() END)
  RETURNING ${JOB_COLUMNS}, job.last_error`;

/** Insert a job on a resource in the caller's transaction. */
export async function insertResourceJob(manager: EntityManager, job: NewResourceJob): Promise<Job> {
  checkCreationStatus(job.status);
  const [row] = await runStatement<JobRow & { last_error: string | null }>(manager, 'jobsystem_insert_resource_job', TEXT, [
    job.jobType, job.resourceType, job.resourceName, job.resourceOptions, job.jsonData, job.maxRetries,
    job.requester, job.scheduledStart, job.queueName, job.priority, job.status, job.lastError,
  ]);
  return Object.assign(jobFromRow(row!), {
    lastError: row!.last_error,
    resourceType: job.resourceType,
    resourceName: job.resourceName,
    resourceOptions: job.resourceOptions,
  });
}
