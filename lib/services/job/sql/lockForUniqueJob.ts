import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// Held until the caller's transaction ends: a second acquire() for the same (type, target)
// waits here, then sees the first one's committed job instead of creating another.
const TEXT = `SELECT pg_advisory_xact_lock(hashtext($1), $2::integer)`;

/** Serialise "find the pending job or create one" per job type and target id. */
export async function lockForUniqueJob(manager: EntityManager, jobType: string, targetId: number): Promise<void> {
  await runStatement(manager, 'jobsystem_lock_for_unique_job', TEXT, [jobType, targetId]);
}
