import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';
import { BOARD_COLUMNS, BOARD_JOB_TYPE, LIVE_CLAIM, notifyBoard, type BoardRow } from './boardRow.ts';

// RUNNING -> WAITING (the transition map's queue), for the owner of a live claim only, in one
// statement with its notification, which wakes waiting conductors: the job is claimable again.
const TEXT = `WITH abandoned AS (
    UPDATE job SET status = 'WAITING', claimed_by = NULL, lease_expires = NULL, date_finished = now()
    WHERE job.id = $1 AND job.job_type = '${BOARD_JOB_TYPE}' AND job.queue_name = $2 AND job.claimed_by = $3 AND ${LIVE_CLAIM}
    RETURNING ${BOARD_COLUMNS})
  SELECT abandoned.*, ${notifyBoard('abandoned', 'abandoned')} FROM abandoned`;

/** The job, unclaimed again; undefined when `who` holds no live claim on it. */
export async function abandonBoardJob(manager: EntityManager, board: string, id: number, who: string): Promise<BoardRow | undefined> {
  return (await runStatement<BoardRow>(manager, 'jobsystem_board_abandon', TEXT, [id, board, who]))[0];
}
