import type { EntityManager } from 'typeorm';

// RUNNING jobs whose lease has passed (their runner died or hangs), per queue, through
// job__running_lease__idx (lease_expires) WHERE status = 'RUNNING'.
const TEXT = `SELECT job.queue_name, count(*) AS count
  FROM job
  WHERE job.status = 'RUNNING' AND job.lease_expires < $1
  GROUP BY job.queue_name
  ORDER BY job.queue_name`;

export interface ExpiredLeases {
  queueName: string;
  count: number;
}

export async function expiredLeases(manager: EntityManager, now: Date): Promise<ExpiredLeases[]> {
  const rows: Array<{ queue_name: string; count: number }> = await manager.query(TEXT, [now]);
  return rows.map((row) => ({ queueName: row.queue_name, count: Number(row.count) }));
}

export const EXPIRED_LEASES_SQL = TEXT;
