import type { EntityManager } from 'typeorm';
import { runStatement } from './jobRow.ts';

// One statement for any number of jobs: arrays in, one row per element out.
const TEXT = `INSERT INTO job (job_type, max_retries, json_data)
  SELECT $1, $2, payload FROM unnest($3::jsonb[]) AS payload
  RETURNING job.id`;

/** Insert many WAITING jobs of one type in the caller's transaction; returns their ids in order. */
export async function insertJobs(manager: EntityManager, jobType: string, payloads: ReadonlyArray<Record<string, unknown> | null>, maxRetries = 0): Promise<number[]> {
  if (payloads.length === 0) return [];
  const rows = await runStatement<{ id: number }>(manager, 'jobsystem_insert_jobs', TEXT, [
    jobType,
    maxRetries,
    payloads.map((payload) => (payload === null ? null : JSON.stringify(payload))),
  ]);
  return rows.map((row) => Number(row.id));
}
