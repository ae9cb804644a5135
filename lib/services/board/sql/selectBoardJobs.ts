import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';
import { BOARD_COLUMNS, BOARD_JOB_TYPE, onBoard, UNCLAIMED, type BoardRow } from './boardRow.ts';

// One page of the board in posting order, after the id `$2` (keyset paging on
// job__board__idx (queue_name, id)): each page is read fresh, and no more than a page is
// held in memory however long the board.
const PAGE = `SELECT ${BOARD_COLUMNS} FROM job
  WHERE ${onBoard('$1')} AND job.id > $2 AND (NOT $3::boolean OR ${UNCLAIMED})
  ORDER BY job.id LIMIT $4`;

const ONE = `SELECT ${BOARD_COLUMNS} FROM job WHERE job.id = $1 AND job.job_type = '${BOARD_JOB_TYPE}' AND job.queue_name = $2`;

/** Up to `limit` jobs on `board` posted after `afterId`, oldest first. */
export async function selectBoardPage(manager: EntityManager, board: string, afterId: number, onlyUnclaimed: boolean, limit: number): Promise<BoardRow[]> {
  return runStatement<BoardRow>(manager, 'jobsystem_board_page', PAGE, [board, afterId, onlyUnclaimed, limit]);
}

/** The job `id` of `board`, on it or consumed; undefined when there is no such job. */
export async function selectBoardJob(manager: EntityManager, board: string, id: number): Promise<BoardRow | undefined> {
  return (await runStatement<BoardRow>(manager, 'jobsystem_board_job', ONE, [id, board]))[0];
}
