import type pg from 'pg';
import { statementConfig } from '../../database/preparedStatements.ts';
import { RESOURCE_LOCK_CALL } from '../../resources/sql/lockResource.ts';

// The lock that enqueues on the resource take (lib/services/resources/sql/lockResource.ts):
// an enqueue that comes after the retry predicts from a queue that has the retried job in it.
const TURN = `SELECT ${RESOURCE_LOCK_CALL}::text AS locked`;

// Every job still pending on the resource, locked in id order, WAITING (not SKIP LOCKED).
// A claim holds the row of the job it is claiming until it commits: the retry waits for it,
// and then (READ COMMITTED re-reads a row that changed while it waited) finds it RUNNING, so
// the retried job waits behind it (the claim's resource rule: nothing may hold the resource).
// Once the retry holds these rows, a claim skips them (FOR UPDATE SKIP LOCKED), so no job of
// the resource is claimed until the retry has committed, and then the retried job, the oldest
// pending, goes first. What this leaves open is in the README (Jobs on resources).
const ROWS = `SELECT pending.id FROM job pending
  WHERE pending.resource_type = $1 AND pending.resource_name = $2 AND pending.resource_name IS NOT NULL
    AND pending.status IN ('WAITING', 'RUNNING', 'SUSPENDED')
  ORDER BY pending.id
  FOR UPDATE`;

/** Before a job on resource (type, name) is put back in its queue: take the resource's
 * enqueue lock and lock its pending jobs' rows, until the transaction ends. Returns their ids. */
export async function lockResourceQueue(client: pg.ClientBase, resourceType: string, resourceName: string): Promise<number[]> {
  await client.query(statementConfig(client, 'jobsystem_admin_lock_resource_turn', TURN, [resourceType, resourceName]));
  const result = await client.query<{ id: string }>(statementConfig(client, 'jobsystem_admin_lock_resource_queue', ROWS, [resourceType, resourceName]));
  return result.rows.map((row) => Number(row.id));
}
