import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

export interface NewTaskJob {
  /** The job name, e.g. import_cats: it is the job's job_type. */
  jobType: string;
  queueName: string;
  workspace: Record<string, unknown>;
  maxRetries: number;
  priority?: number;
  scheduledStart?: Date | null;
}

const TEXT = `INSERT INTO job (job_type, queue_name, workspace, max_retries, priority, scheduled_start)
  VALUES ($1, $2, $3::jsonb, $4, $5, $6) RETURNING ${JOB_COLUMNS}`;

/** Insert one WAITING multi-step job at step 0, in the caller's transaction. */
export async function insertTaskJob(manager: EntityManager, job: NewTaskJob): Promise<Job> {
  const rows = await runStatement<JobRow>(manager, 'jobsystem_insert_task_job', TEXT, [job.jobType, job.queueName, JSON.stringify(job.workspace), job.maxRetries, job.priority ?? 0, job.scheduledStart ?? null]);
  return jobFromRow(rows[0]!);
}
