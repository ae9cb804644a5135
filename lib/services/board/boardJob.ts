import type { BoardRow, JobState } from './sql/boardRow.ts';

export { JobState } from './sql/boardRow.ts';

/** What a board needs to answer for one of its handles. */
export interface BoardOfJob {
  readonly name: string;
  /** The job's state now. */
  stateOf(job: BoardJob): Promise<JobState>;
  /** True once the job is consumed, false if not within `timeoutMs` (undefined: no limit). */
  waitConsumed(job: BoardJob, timeoutMs?: number): Promise<boolean>;
}

/**
 * A job on a board, as post(), iterjobs() and wait() return it: a snapshot of the row (its
 * `state` and `owner` as of that read) plus what asks the board again.
 */
export class BoardJob {
  readonly id: number;
  /** The name given at post (not unique). */
  readonly name: string;
  readonly details: Record<string, unknown>;
  readonly createdOn: Date;
  /** When it was posted, last claimed, abandoned or consumed. */
  readonly lastModified: Date;
  /** As of the read that made this handle; `currentState()` asks again. */
  readonly state: JobState;
  /** Who held a live claim at that read. */
  readonly owner: string | null;

  constructor(readonly board: BoardOfJob, row: BoardRow) {
    this.id = Number(row.id);
    this.name = typeof row.json_data?.name === 'string' ? row.json_data.name : '';
    const details = row.json_data?.details;
    this.details = typeof details === 'object' && details !== null && !Array.isArray(details) ? (details as Record<string, unknown>) : {};
    this.createdOn = row.date_created;
    this.lastModified = row.last_modified;
    this.state = row.state;
    this.owner = row.owner;
  }

  currentState(): Promise<JobState> {
    return this.board.stateOf(this);
  }

  /** TaskFlow's job.wait(): true once the job is consumed, false when `timeoutMs` passes first. */
  wait(timeoutMs?: number): Promise<boolean> {
    return this.board.waitConsumed(this, timeoutMs);
  }

  toString(): string {
    return `board job ${this.id} (${this.name}) of board ${this.board.name}`;
  }
}
