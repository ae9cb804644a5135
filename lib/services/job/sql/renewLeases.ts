import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// The heartbeat: one statement extends the lease of every job this runner is running.
// SKIP LOCKED passes over rows the runner's own open transaction has already finished
// (they are about to commit), so the heartbeat never waits behind a batch. The rows are found
// by primary key (`= ANY(ARRAY(...))`), never by a join that could read the whole table
// (see claimJobs.ts).
const TEXT = `UPDATE job SET lease_expires = now() + make_interval(secs => $2::double precision / 1000)
  WHERE job.id = ANY(ARRAY(SELECT id FROM job WHERE job.claimed_by = $1 AND job.status = 'RUNNING' FOR UPDATE SKIP LOCKED))
  RETURNING job.id`;

/** Extend the leases of `owner`'s RUNNING jobs by `leaseMs` from now; returns how many. */
export async function renewLeases(manager: EntityManager, owner: string, leaseMs: number): Promise<number> {
  return (await runStatement(manager, 'jobsystem_renew_leases', TEXT, [owner, leaseMs])).length;
}
