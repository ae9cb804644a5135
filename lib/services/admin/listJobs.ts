import type pg from 'pg';
import { JobStatus, isJobStatus } from '../job/interfaces/jobStatus.ts';
import { DdqState } from '../tasks/ddqState.ts';
import { BadAdminRequest } from './errors.ts';
import { jobColumns } from './jobColumns.ts';
import { jobSummaryFromJson, SUMMARY_JSON_SQL, type JobSummary } from './jobSummary.ts';

export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 1000;

/** Which jobs to list; every filter given must hold (each list: any of its values). */
export interface JobFilters {
  /** Job statuses (WAITING, RUNNING, COMPLETED, FAILED, SUSPENDED) or the job_state view's
   * states (NEW, READY, PROCESSING), any case. */
  status?: readonly string[];
  jobType?: readonly string[];
  queue?: readonly string[];
  /** Only where the job table has resource_type / resource_name columns (bad input otherwise). */
  resourceType?: string;
  resourceName?: string;
  /** Created before / after this time (a Date, or a string Date understands). */
  createdBefore?: Date | string;
  createdAfter?: Date | string;
}

/** A page, by id (keyset): `afterId` is the last id of the previous page in the listing's order. */
export interface JobPage {
  afterId?: number;
  /** Default LIST_LIMIT_DEFAULT, at most LIST_LIMIT_MAX. */
  limit?: number;
  /** 'desc' (default): newest first. */
  order?: 'asc' | 'desc';
}

export interface JobListing {
  jobs: JobSummary[];
  /** Pass as afterId for the next page; null when this page is the last. */
  nextAfterId: number | null;
}

const STATE_CONDITIONS: Record<string, string> = {
  [DdqState.NEW]: `(job.status = 'WAITING' AND job.step = 0 AND job.attempt_count = 0)`,
  [DdqState.READY]: `(job.status = 'WAITING' AND NOT (job.step = 0 AND job.attempt_count = 0))`,
  [DdqState.PROCESSING]: `job.status = 'RUNNING'`,
};

const VALID_STATUS_NAMES = [...Object.keys(JobStatus), ...Object.keys(STATE_CONDITIONS)].join(', ');

function statusCondition(names: readonly string[]): string {
  const statuses: string[] = [];
  const conditions: string[] = [];
  for (const raw of names) {
    const name = raw.trim().toUpperCase();
    if (isJobStatus(name)) statuses.push(name);
    else if (name in STATE_CONDITIONS) conditions.push(STATE_CONDITIONS[name]!);
    else throw new BadAdminRequest(`unknown status '${raw}'; valid: ${VALID_STATUS_NAMES}`);
  }
  // Literals, not parameters (they are one of a fixed set): the planner can then see that
  // status = 'FAILED' implies the partial index job__failed_suspended_by_id__idx.
  if (statuses.length > 0) conditions.push(`job.status IN (${[...new Set(statuses)].map((status) => `'${status}'`).join(', ')})`);
  return conditions.length === 1 ? conditions[0]! : `(${conditions.join(' OR ')})`;
}

function toDate(value: Date | string, what: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new BadAdminRequest(`${what}: '${String(value)}' is not a date and time`);
  return date;
}

function checkList(values: readonly string[], what: string): string[] {
  if (values.length === 0 || values.some((value) => typeof value !== 'string' || value === '')) throw new BadAdminRequest(`${what} must name at least one non-empty value`);
  return [...values];
}

/**
 * Jobs matching `filters`, one page of at most `limit`, by id. Reads only the page (plus one
 * row to know whether more follow), never the whole table. Bad filters are a BadAdminRequest.
 */
export async function listJobs(client: pg.ClientBase, filters: JobFilters = {}, page: JobPage = {}): Promise<JobListing> {
  const limit = page.limit ?? LIST_LIMIT_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) throw new BadAdminRequest(`limit must be a whole number from 1 to ${LIST_LIMIT_MAX}, not ${limit}`);
  const order = page.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new BadAdminRequest(`order must be asc or desc, not ${String(order)}`);
  const where: string[] = [];
  const values: unknown[] = [];
  const parameter = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (page.afterId !== undefined) {
    if (!Number.isSafeInteger(page.afterId) || page.afterId < 0) throw new BadAdminRequest(`afterId must be a job id, not ${page.afterId}`);
    where.push(`job.id ${order === 'desc' ? '<' : '>'} ${parameter(page.afterId)}`);
  }
  if (filters.status !== undefined) where.push(statusCondition(checkList(filters.status, 'status')));
  if (filters.jobType !== undefined) where.push(`job.job_type = ANY(${parameter(checkList(filters.jobType, 'job type'))}::text[])`);
  if (filters.queue !== undefined) where.push(`job.queue_name = ANY(${parameter(checkList(filters.queue, 'queue'))}::text[])`);
  if (filters.createdBefore !== undefined) where.push(`job.date_created < ${parameter(toDate(filters.createdBefore, 'created before'))}`);
  if (filters.createdAfter !== undefined) where.push(`job.date_created > ${parameter(toDate(filters.createdAfter, 'created after'))}`);
  const resource: Array<[keyof JobFilters, string]> = [['resourceType', 'resource_type'], ['resourceName', 'resource_name']];
  if (resource.some(([key]) => filters[key] !== undefined)) {
    const columns = await jobColumns(client);
    for (const [key, column] of resource) {
      const value = filters[key];
      if (value === undefined) continue;
      if (!columns.has(column)) throw new BadAdminRequest(`this database's job table has no ${column} column to filter on`);
      where.push(`job.${column} = ${parameter(String(value))}`);
    }
  }
  const text = `SELECT ${SUMMARY_JSON_SQL} AS row FROM job
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY job.id ${order === 'desc' ? 'DESC' : 'ASC'}
    LIMIT ${parameter(limit + 1)}`;
  const result = await client.query<{ row: Record<string, unknown> }>(text, values);
  const rows = result.rows.slice(0, limit);
  const jobs = rows.map((row) => jobSummaryFromJson(row.row));
  return { jobs, nextAfterId: result.rows.length > limit ? jobs[jobs.length - 1]!.id : null };
}
