import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';
import { LIVE_CLAIM, onBoard, UNCLAIMED } from './boardRow.ts';

// How many jobs are on the board, how many of them unclaimed, and in how many milliseconds
// the first live claim lapses (which makes a job claimable without any notification: its
// owner died). Read from job__board__idx; the time is the database's.
const TEXT = `SELECT count(*)::integer AS total,
    (count(*) FILTER (WHERE ${UNCLAIMED}))::integer AS unclaimed,
    (EXTRACT(EPOCH FROM min(job.lease_expires) FILTER (WHERE ${LIVE_CLAIM}) - now()) * 1000)::double precision AS next_lapse_ms
  FROM job WHERE ${onBoard('$1')}`;

export interface BoardSummary {
  total: number;
  unclaimed: number;
  /** Null when no job is claimed. */
  nextLapseMs: number | null;
}

export async function summarizeBoard(manager: EntityManager, board: string): Promise<BoardSummary> {
  const [row] = await runStatement<{ total: number; unclaimed: number; next_lapse_ms: number | null }>(manager, 'jobsystem_board_summary', TEXT, [board]);
  return { total: row!.total, unclaimed: row!.unclaimed, nextLapseMs: row!.next_lapse_ms === null ? null : Number(row!.next_lapse_ms) };
}
