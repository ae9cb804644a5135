import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';

// Enqueues on one resource take turns: the lock is held to the end of the enqueuing
// transaction, so the next enqueue's prediction reads (in a new READ COMMITTED snapshot,
// taken after the lock is granted) the job this one inserted. Two-key form, hashes of the type
// and of the name: unrelated resources collide rarely, and a collision only makes them wait.
// The isolation level comes back too: under REPEATABLE READ or SERIALIZABLE the transaction's
// snapshot may be older than the lock, and the prediction would read a stale queue.
/** The lock's call, for the statements elsewhere that must take the same lock (the
 * operators' retry of a job on a resource); $1 the type, $2 the name. */
export const RESOURCE_LOCK_CALL = 'pg_advisory_xact_lock(hashtext($1), hashtext($2))';

const TEXT = `SELECT ${RESOURCE_LOCK_CALL}::text AS locked,
  current_setting('transaction_isolation') AS isolation`;

/** Lock resource (type, name) until the caller's transaction ends; returns its isolation level. */
export async function lockResource(manager: EntityManager, resourceType: string, resourceName: string): Promise<string> {
  const [row] = await runStatement<{ isolation: string }>(manager, 'jobsystem_lock_resource', TEXT, [resourceType, resourceName]);
  return row!.isolation;
}
