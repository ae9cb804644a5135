import type pg from 'pg';
import { listAdminLog, type AdminLogRow } from './adminLog.ts';
import { BadAdminRequest, JobNotFound } from './errors.ts';
import { jobSummaryFromJson, type JobSummary } from './jobSummary.ts';
import { oopsSummary, type OopsSummary } from './oopsReports.ts';
import { selectDomainRow, selectDomainTables } from './sql/selectDomainTables.ts';

/** A job's domain row: the table (foojob, ...) and the row as JSON. */
export interface DomainRow {
  table: string;
  row: Record<string, unknown> | null;
  /** Set instead of row when the row could not be read (e.g. no SELECT grant on the table). */
  error?: string;
}

export interface JobDetails {
  job: JobSummary;
  /** The job's own arguments (job.json_data). */
  jsonData: unknown;
  /** Multi-step jobs: the workspace the steps pass on; null for others. */
  workspace: unknown;
  /** job.result, when the job table has that column; undefined otherwise. */
  result?: unknown;
  log: string | null;
  /** Every table that holds one row per job (by its foreign key to job.id): usually one. */
  domainRows: DomainRow[];
  /** job.last_oops and its report's summary (null when the report is not under error_dir). */
  oops: { id: string; report: OopsSummary | null } | null;
  /** Operators' changes to the job (admin_log), newest first, at most 20. */
  history: AdminLogRow[];
  /** Every column of the job row as the database has it, for anything the fields above leave out. */
  columns: Record<string, unknown>;
}

export interface ShowJobOptions {
  /** The OOPS store ([error_reports] error_dir): without it, oops.report is null. */
  errorDir?: string;
}

export function checkJobId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1) throw new BadAdminRequest(`'${id}' is not a job id`);
  return id;
}

/**
 * Job `id` with everything an operator asks about it. JobNotFound when there is none. Reads
 * with plain statements: run it outside a transaction, or in one that may see a failed
 * statement only if no domain table refuses the read.
 */
export async function showJob(client: pg.ClientBase, id: number, options: ShowJobOptions = {}): Promise<JobDetails> {
  checkJobId(id);
  const result = await client.query<{ row: Record<string, unknown> }>('SELECT to_jsonb(job) AS row FROM job WHERE job.id = $1', [id]);
  const columns = result.rows[0]?.row;
  if (!columns) throw new JobNotFound(id);
  const domainRows: DomainRow[] = [];
  for (const table of await selectDomainTables(client)) {
    try {
      const row = await selectDomainRow(client, table, id);
      if (row) domainRows.push({ table: table.table, row });
    } catch (error) {
      domainRows.push({ table: table.table, row: null, error: (error as Error).message });
    }
  }
  const lastOops = typeof columns.last_oops === 'string' ? columns.last_oops : null;
  const details: JobDetails = {
    job: jobSummaryFromJson(columns),
    jsonData: columns.json_data ?? null,
    workspace: columns.workspace ?? null,
    log: typeof columns.log === 'string' ? columns.log : null,
    domainRows,
    oops: lastOops === null ? null : { id: lastOops, report: options.errorDir ? await oopsSummary(options.errorDir, lastOops).catch(() => null) : null },
    history: await listAdminLog(client, { job: id, limit: 20 }),
    columns,
  };
  if ('result' in columns) details.result = columns.result;
  return details;
}
