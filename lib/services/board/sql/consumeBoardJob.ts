import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';
import { BOARD_COLUMNS, BOARD_JOB_TYPE, LIVE_CLAIM, notifyBoard, type BoardRow } from './boardRow.ts';

// RUNNING -> COMPLETED (the transition map's complete), for the owner of a live claim only:
// the job leaves the board for good and stays as history, with who consumed it (claimed_by),
// the outcome in json_data and, after a failure, why in last_error. One statement with its
// REMOVAL notification.
const TEXT = `WITH consumed AS (
    UPDATE job SET status = 'COMPLETED', date_finished = now(), lease_expires = NULL,
      json_data = job.json_data || jsonb_build_object('outcome', $4::text),
      last_error = CASE WHEN $5::text IS NULL THEN job.last_error ELSE $5::text END
    WHERE job.id = $1 AND job.job_type = '${BOARD_JOB_TYPE}' AND job.queue_name = $2 AND job.claimed_by = $3 AND ${LIVE_CLAIM}
    RETURNING ${BOARD_COLUMNS})
  SELECT consumed.*, ${notifyBoard('consumed', 'removal')} FROM consumed`;

export interface ConsumeOutcome {
  outcome: 'succeeded' | 'failed';
  /** One line, `Name: message`, when it failed. */
  error: string | null;
}

/** The job, consumed; undefined when `who` holds no live claim on it. */
export async function consumeBoardJob(manager: EntityManager, board: string, id: number, who: string, outcome: ConsumeOutcome): Promise<BoardRow | undefined> {
  return (await runStatement<BoardRow>(manager, 'jobsystem_board_consume', TEXT, [id, board, who, outcome.outcome, outcome.error]))[0];
}
