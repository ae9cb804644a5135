import type { EntityManager } from 'typeorm';

// Per queue, the oldest ready job's time of becoming ready (its creation, or its scheduled
// start when that came later); jobs scheduled for later are not waiting yet. Reads the
// WAITING jobs alone, through job__ready_queue__idx (a partial index on status = 'WAITING').
const TEXT = `SELECT job.queue_name, min(greatest(job.date_created, coalesce(job.scheduled_start, job.date_created))) AS since
  FROM job
  WHERE job.status = 'WAITING' AND (job.scheduled_start IS NULL OR job.scheduled_start <= $1)
  GROUP BY job.queue_name
  ORDER BY job.queue_name`;

export interface OldestWaiting {
  queueName: string;
  since: Date;
}

export async function oldestWaiting(manager: EntityManager, now: Date): Promise<OldestWaiting[]> {
  const rows: Array<{ queue_name: string; since: Date }> = await manager.query(TEXT, [now]);
  return rows.map((row) => ({ queueName: row.queue_name, since: new Date(row.since) }));
}

export const OLDEST_WAITING_SQL = TEXT;
