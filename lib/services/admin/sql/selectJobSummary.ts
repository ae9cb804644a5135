import type pg from 'pg';
import { jobSummaryFromJson, SUMMARY_JSON_SQL, type JobSummary } from '../jobSummary.ts';

const TEXT = `SELECT ${SUMMARY_JSON_SQL} AS row FROM job WHERE job.id = $1`;

/** Job `id` as a listing shows it, or undefined. */
export async function selectJobSummary(client: pg.ClientBase, id: number): Promise<JobSummary | undefined> {
  const row = (await client.query<{ row: Record<string, unknown> }>({ name: 'jobsystem_admin_job_summary', text: TEXT, values: [id] })).rows[0];
  return row ? jobSummaryFromJson(row.row) : undefined;
}
