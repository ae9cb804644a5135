import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';
import { BOARD_COLUMNS, BOARD_JOB_TYPE, notifyBoard, type BoardRow } from './boardRow.ts';

// One statement inserts the job and sends its notification, so a post is atomic without a
// transaction of its own: either the job is on the board and listeners hear of it at commit,
// or (any error) neither. The insert trigger's job_inserted goes out too; workers ignore it,
// as no section serves the type.
const TEXT = `WITH posted AS (
    INSERT INTO job (job_type, queue_name, json_data)
    VALUES ('${BOARD_JOB_TYPE}', $1, jsonb_build_object('name', $2::text, 'details', $3::jsonb))
    RETURNING ${BOARD_COLUMNS})
  SELECT posted.*, ${notifyBoard('posted', 'posted')} FROM posted`;

/** Post a job named `name` on `board`; `details` is JSON text of an object. */
export async function postBoardJob(manager: EntityManager, board: string, name: string, detailsJson: string): Promise<BoardRow> {
  const rows = await runStatement<BoardRow>(manager, 'jobsystem_board_post', TEXT, [board, name, detailsJson]);
  return rows[0]!;
}
