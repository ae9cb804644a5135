import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';
import { BOARD_COLUMNS, BOARD_JOB_TYPE, type BoardRow } from './boardRow.ts';

// The claim is one UPDATE: of two claimers the second waits for the first's row lock, then
// re-reads the row (READ COMMITTED) and finds it claimed, so exactly one of them gets it.
// WAITING -> RUNNING is the transition map's start. A RUNNING job whose lease lapsed lost its
// owner (the owner's process stopped renewing it: it died): it is taken over as it is, the
// status staying RUNNING, with the dead owner's claim counted in runner_deaths.
const TEXT = `UPDATE job SET status = 'RUNNING', claimed_by = $3,
    lease_expires = now() + make_interval(secs => $4::double precision / 1000),
    attempt_count = job.attempt_count + 1, date_started = now(), date_finished = NULL,
    runner_deaths = job.runner_deaths + CASE WHEN job.status = 'RUNNING' THEN 1 ELSE 0 END
  WHERE job.id = $1 AND job.job_type = '${BOARD_JOB_TYPE}' AND job.queue_name = $2
    AND (job.status = 'WAITING' OR (job.status = 'RUNNING' AND job.lease_expires < now()))
  RETURNING ${BOARD_COLUMNS}`;

/** The job, now claimed by `who` for `leaseMs`; undefined when it is not there to claim. */
export async function claimBoardJob(manager: EntityManager, board: string, id: number, who: string, leaseMs: number): Promise<BoardRow | undefined> {
  return (await runStatement<BoardRow>(manager, 'jobsystem_board_claim', TEXT, [id, board, who, leaseMs]))[0];
}
