import type { EntityManager } from 'typeorm';

// Jobs that finished (COMPLETED or FAILED) since $1, per minute, queue, type and status: the
// throughput chart and the last hour's metrics. Reads only the entries since $1 of
// job__finished_at__idx (date_finished) WHERE date_finished IS NOT NULL (which the range on
// date_finished implies).
const TEXT = `SELECT date_trunc('minute', job.date_finished) AS minute, job.queue_name, job.job_type, job.status, count(*) AS count
  FROM job
  WHERE job.status IN ('COMPLETED', 'FAILED') AND job.date_finished >= $1
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4`;

export interface FinishedInMinute {
  minute: Date;
  queueName: string;
  jobType: string;
  status: 'COMPLETED' | 'FAILED';
  count: number;
}

export async function finishedPerMinute(manager: EntityManager, since: Date): Promise<FinishedInMinute[]> {
  const rows: Array<{ minute: Date; queue_name: string; job_type: string; status: 'COMPLETED' | 'FAILED'; count: number }> = await manager.query(TEXT, [since]);
  return rows.map((row) => ({ minute: new Date(row.minute), queueName: row.queue_name, jobType: row.job_type, status: row.status, count: Number(row.count) }));
}

export const FINISHED_PER_MINUTE_SQL = TEXT;
