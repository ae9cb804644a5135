import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';
import { BOARD_JOB_TYPE, LIVE_CLAIM } from './boardRow.ts';

// The owner's heartbeat: one statement extends the leases of the claims a process holds. Only
// live claims: a claim whose lease already lapsed may have been taken over, and even if not,
// others were told (findOwner) that nobody holds it, so it is not revived.
const TEXT = `UPDATE job SET lease_expires = now() + make_interval(secs => $3::double precision / 1000)
  FROM unnest($1::bigint[], $2::text[]) AS held (id, owner)
  WHERE job.id = held.id AND job.claimed_by = held.owner AND job.job_type = '${BOARD_JOB_TYPE}' AND ${LIVE_CLAIM}
  RETURNING job.id`;

/** Renew the claims `ids[i]` of `owners[i]` for `leaseMs`; returns the ids still held. */
export async function renewBoardClaims(manager: EntityManager, ids: readonly number[], owners: readonly string[], leaseMs: number): Promise<number[]> {
  const rows = await runStatement<{ id: number }>(manager, 'jobsystem_board_renew', TEXT, [ids, owners, leaseMs]);
  return rows.map((row) => Number(row.id));
}
