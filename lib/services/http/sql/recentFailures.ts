import type { EntityManager } from 'typeorm';

// The newest FAILED jobs (by id: the latest created first), read in id order from
// job__failed_suspended_by_id__idx (id) WHERE status IN ('FAILED', 'SUSPENDED'), the index the
// admin layer's listing uses: $1 entries and the suspended ones among them, however many jobs
// the table keeps. (By failure time would need an index of its own, or a sort of every
// failed job: an old job retried that fails again is listed by its id, with its new time.)
const TEXT = `SELECT job.id, job.job_type, job.queue_name, job.date_finished, job.last_error, job.last_oops
  FROM job
  WHERE job.status = 'FAILED'
  ORDER BY job.id DESC
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
