import type { JobStatus } from '../job/interfaces/jobStatus.ts';
import { ddqState, type DdqState } from '../tasks/ddqState.ts';

/**
 * One job as operators see it in a listing: plain JSON (dates as ISO 8601 strings in UTC),
 * the same for the command line and the HTTP API. Bulky columns (workspace, json_data, log,
 * result) are left to showJob.
 */
export interface JobSummary {
  id: number;
  jobType: string;
  status: JobStatus;
  /** The django-db-queue state (NEW, READY, PROCESSING, ...), as the job_state view says. */
  state: DdqState;
  queueName: string;
  priority: number;
  attemptCount: number;
  maxRetries: number;
  runnerDeaths: number;
  step: number;
  dateCreated: string;
  dateStarted: string | null;
  dateFinished: string | null;
  scheduledStart: string | null;
  leaseExpires: string | null;
  claimedBy: string | null;
  requester: string | null;
  lastError: string | null;
  lastOops: string | null;
  /** Present when the database's job table has resource columns. */
  resourceType?: string | null;
  resourceName?: string | null;
}

/** The columns of job that a listing leaves out: to_jsonb(job) minus these. */
export const BULKY_COLUMNS = ['workspace', 'json_data', 'log', 'result'] as const;

/** `to_jsonb(job) - 'workspace' - ...` in SQL, for a statement selecting from job. */
export const SUMMARY_JSON_SQL = `to_jsonb(job)${BULKY_COLUMNS.map((column) => ` - '${column}'`).join('')}`;

function isoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : new Date(String(value)).toISOString();
}

function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** A JobSummary from a job row as PostgreSQL's to_jsonb gives it (snake_case keys). */
export function jobSummaryFromJson(row: Record<string, unknown>): JobSummary {
  const status = row.status as JobStatus;
  const step = Number(row.step ?? 0);
  const attemptCount = Number(row.attempt_count);
  const summary: JobSummary = {
    id: Number(row.id),
    jobType: String(row.job_type),
    status,
    state: ddqState({ status, step, attemptCount }),
    queueName: String(row.queue_name ?? 'default'),
    priority: Number(row.priority ?? 0),
    attemptCount,
    maxRetries: Number(row.max_retries),
    runnerDeaths: Number(row.runner_deaths ?? 0),
    step,
    dateCreated: new Date(String(row.date_created)).toISOString(),
    dateStarted: isoOrNull(row.date_started),
    dateFinished: isoOrNull(row.date_finished),
    scheduledStart: isoOrNull(row.scheduled_start),
    leaseExpires: isoOrNull(row.lease_expires),
    claimedBy: textOrNull(row.claimed_by),
    requester: textOrNull(row.requester),
    lastError: textOrNull(row.last_error),
    lastOops: textOrNull(row.last_oops),
  };
  if ('resource_type' in row) summary.resourceType = textOrNull(row.resource_type);
  if ('resource_name' in row) summary.resourceName = textOrNull(row.resource_name);
  return summary;
}
