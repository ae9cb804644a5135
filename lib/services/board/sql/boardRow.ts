import { NOTIFY_CHANNEL, type BoardEventName } from '../../notify/payload.ts';

/** The job_type of every board job: no job section serves it, so run_jobs and the worker
 * never claim one (unservedJobs.ts does not warn about them either). */
export const BOARD_JOB_TYPE = 'BoardJob';

/** TaskFlow's job states, mapped from the job's status and lease (BOARD_COLUMNS). */
export const JobState = {
  UNCLAIMED: 'UNCLAIMED',
  CLAIMED: 'CLAIMED',
  COMPLETE: 'COMPLETE',
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

/** The jobs still on the board named by the parameter `boardParam` (job__board__idx reads
 * them in posting order). */
export function onBoard(boardParam: string): string {
  return `job.job_type = '${BOARD_JOB_TYPE}' AND job.queue_name = ${boardParam} AND job.status IN ('WAITING', 'RUNNING')`;
}

/** Unclaimed: never claimed or abandoned (WAITING), or its owner's lease lapsed. */
export const UNCLAIMED = `(job.status = 'WAITING' OR job.lease_expires < now())`;

/** Claimed: RUNNING under a live lease. A RUNNING job whose lease lapsed lost its owner. */
export const LIVE_CLAIM = `(job.status = 'RUNNING' AND job.lease_expires >= now())`;

/** What a handle is made of. The state and owner are read in the statement, against the
 * database's clock, so no process's clock decides whether a lease has lapsed. */
export const BOARD_COLUMNS = `job.id, job.queue_name, job.json_data, job.date_created,
  GREATEST(job.date_created, job.date_started, job.date_finished) AS last_modified,
  CASE WHEN job.status IN ('COMPLETED', 'FAILED') THEN '${JobState.COMPLETE}'
    WHEN ${LIVE_CLAIM} THEN '${JobState.CLAIMED}' ELSE '${JobState.UNCLAIMED}' END AS state,
  CASE WHEN ${LIVE_CLAIM} THEN job.claimed_by END AS owner`;

export interface BoardRow {
  id: number;
  queue_name: string;
  json_data: { name?: unknown; details?: unknown; outcome?: unknown } | null;
  date_created: Date;
  last_modified: Date;
  state: JobState;
  owner: string | null;
}

/** A select list item that sends the board notification `event` about the row `alias`
 * when the statement's transaction commits (the payload of notify/payload.ts's BoardPayload). */
export function notifyBoard(alias: string, event: BoardEventName): string {
  return `pg_notify('${NOTIFY_CHANNEL}', json_build_object('kind', 'board', 'event', '${event}', 'board', ${alias}.queue_name, 'id', ${alias}.id)::text)`;
}
