import type { EntityManager } from 'typeorm';

// The latest FAILED jobs, newest first, from job__failed_at__idx (date_finished DESC) WHERE
// status = 'FAILED': reads $1 index entries however many jobs the table keeps.
const TEXT = `SELECT job.id, job.job_type, job.queue_name, job.date_finished, job.last_error, job.last_oops
  FROM job
  WHERE job.status = 'FAILED'
  ORDER BY job.date_finished DESC NULLS LAST
  LIMIT $1`;

export interface RecentFailure {
  id: number;
  jobType: string;
  queueName: string;
  dateFinished: Date | null;
  lastError: string | null;
  lastOops: string | null;
}

export async function recentFailures(manager: EntityManager, limit: number): Promise<RecentFailure[]> {
  const rows: Array<{ id: number; job_type: string; queue_name: string; date_finished: Date | null; last_error: string | null; last_oops: string | null }> = await manager.query(TEXT, [limit]);
  return rows.map((row) => ({
    id: Number(row.id),
    jobType: row.job_type,
    queueName: row.queue_name,
    dateFinished: row.date_finished === null ? null : new Date(row.date_finished),
    lastError: row.last_error,
    lastOops: row.last_oops,
  }));
}

export const RECENT_FAILURES_SQL = TEXT;
