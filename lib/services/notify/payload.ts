// What travels on the job system's one NOTIFY channel. Every payload is a small JSON object
// whose `kind` says what happened; a listener re-reads the database for the details, so a
// payload only has to say where to look. Payloads must stay under PostgreSQL's limit of 8000
// bytes, and identical payloads sent in one transaction are delivered once.

/** The one channel of the job system (schema.sql's job_notify_inserted() names it too). */
export const NOTIFY_CHANNEL = 'jobsystem';

/** PostgreSQL refuses a payload of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7999;

/**
 * Jobs were inserted (sent by the `job__notify_inserted__trg` trigger, once per INSERT
 * statement, at commit). `jobTypes` lists the distinct `job.job_type` values inserted; it is
 * absent when the list would not fit in a payload, which means "look at every type".
 */
export interface JobInsertedPayload {
  kind: 'job_inserted';
  jobTypes?: string[];
}

/** What happened to a job on a resource (lib/services/resources/). */
export const JOB_EVENTS = ['ready', 'start', 'error', 'success'] as const;
export type JobEventName = (typeof JOB_EVENTS)[number];

/**
 * An event of a job on a resource: `ready` (it reached the front of its resource's queue),
 * `start` (its run began), `error` or `success` (it ended). Sent by schema.sql's
 * job__resource_events__trg (ready, error, success) and by the job as it starts
 * (lib/services/resources/resourceJob.ts), in the transaction of the change.
 */
export interface JobEventPayload {
  kind: 'job_event';
  event: JobEventName;
  jobId: number;
  jobType: string;
  resourceType: string;
  resourceName: string;
}

/**
 * Something happened to a job of a job board (lib/services/board/): `board` is its name (the
 * job's queue_name), `id` the job. Sent by the statement that made the change, so it is
 * delivered when that commits.
 */
export interface BoardPayload {
  kind: 'board';
  event: BoardEventName;
  board: string;
  id: number;
}

/** posted: a new job; removal: a job was consumed; abandoned: a claimed job is claimable again. */
export const BOARD_EVENTS = ['posted', 'removal', 'abandoned'] as const;
export type BoardEventName = (typeof BOARD_EVENTS)[number];

/** Everything that may be sent on the channel: add a member here for each new kind. */
export type NotifyPayload = JobInsertedPayload | JobEventPayload | BoardPayload;

/**
 * Not sent by anyone: the listener emits it after it has connected again following a lost
 * connection. Notifications sent while it was down are lost, so a subscriber re-checks the
 * database as if anything could have happened. `downMs` is how long the outage lasted.
 */
export interface ReconnectedEvent {
  kind: 'reconnected';
  downMs: number;
}

/** What a listener's subscribers receive. */
export type NotifyEvent = NotifyPayload | ReconnectedEvent;

export class PayloadTooLarge extends Error {
  override name = 'PayloadTooLarge';
}

/** The text to send for `payload`; throws PayloadTooLarge past the server's limit. */
export function encodePayload(payload: NotifyPayload): string {
  const text = JSON.stringify(payload);
  if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) {
    // A job_inserted with too many types still says "jobs were inserted": drop the list.
    if (payload.kind === 'job_inserted' && payload.jobTypes) return encodePayload({ kind: 'job_inserted' });
    throw new PayloadTooLarge(`a ${payload.kind} notification is ${Buffer.byteLength(text, 'utf8')} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  return text;
}

/**
 * The payload that `text` encodes, or a string saying why it is not one. Unknown kinds are
 * refused rather than passed on, so that a newer sender cannot confuse an older listener.
 */
export function parsePayload(text: string): NotifyPayload | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { invalid: 'not a JSON object' };
  const { kind } = value as { kind?: unknown };
  switch (kind) {
    case 'job_inserted': {
      const { jobTypes } = value as { jobTypes?: unknown };
      if (jobTypes === undefined || jobTypes === null) return { kind };
      if (!Array.isArray(jobTypes) || !jobTypes.every((type) => typeof type === 'string')) {
        return { invalid: 'job_inserted with jobTypes that is not a list of strings' };
      }
      return { kind, jobTypes };
    }
    case 'job_event': {
      const { event, jobId, jobType, resourceType, resourceName } = value as Record<string, unknown>;
      if (!JOB_EVENTS.includes(event as JobEventName) || typeof jobId !== 'number' || typeof jobType !== 'string' || typeof resourceType !== 'string' || typeof resourceName !== 'string') {
        return { invalid: 'job_event without an event, jobId, jobType, resourceType and resourceName' };
      }
      return { kind, event: event as JobEventName, jobId, jobType, resourceType, resourceName };
    }
    case 'board': {
      const { event, board, id } = value as { event?: unknown; board?: unknown; id?: unknown };
      if (!BOARD_EVENTS.includes(event as BoardEventName) || typeof board !== 'string' || !Number.isSafeInteger(id)) {
        return { invalid: 'board without a known event, a board name and a job id' };
      }
      return { kind, event: event as BoardEventName, board, id: id as number };
    }
    default:
      return { invalid: `unknown kind ${JSON.stringify(kind)}` };
  }
}
