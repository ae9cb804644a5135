import type { EntityManager } from 'typeorm';

// The oldest WAITING jobs (the status page lists them with a cancel button), read in id order
// from job__ready_by_id__idx (id) WHERE status = 'WAITING': $1 entries, however long the history.
const TEXT = `SELECT job.id, job.job_type, job.queue_name, job.date_created, job.scheduled_start, job.attempt_count
  FROM job
  WHERE job.status = 'WAITING'
  ORDER BY job.id
  LIMIT $1`;

export interface WaitingJob {
  id: number;
  jobType: string;
  queueName: string;
  dateCreated: Date;
  scheduledStart: Date | null;
  attemptCount: number;
}

export async function oldestWaitingJobs(manager: EntityManager, limit: number): Promise<WaitingJob[]> {
  const rows: Array<{ id: number; job_type: string; queue_name: string; date_created: Date; scheduled_start: Date | null; attempt_count: number }> = await manager.query(TEXT, [limit]);
  return rows.map((row) => ({
    id: Number(row.id),
    jobType: row.job_type,
    queueName: row.queue_name,
    dateCreated: new Date(row.date_created),
    scheduledStart: row.scheduled_start === null ? null : new Date(row.scheduled_start),
    attemptCount: Number(row.attempt_count),
  }));
}

export const OLDEST_WAITING_JOBS_SQL = TEXT;
