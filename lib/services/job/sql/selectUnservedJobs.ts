import type pg from 'pg';

// The WAITING jobs whose job_type no job source serves, per type. The distinct types of the
// waiting jobs come from job__ready__idx (job_type, id) WHERE status = 'WAITING' by a loose
// index scan (one index probe per type, however many jobs wait), so the check stays cheap
// with a large backlog; only the types nobody serves are then counted.
const TEXT = `WITH RECURSIVE types AS (
    (SELECT job.job_type FROM job WHERE job.status = 'WAITING' ORDER BY job.job_type LIMIT 1)
    UNION ALL
    SELECT (SELECT job.job_type FROM job WHERE job.status = 'WAITING' AND job.job_type > types.job_type ORDER BY job.job_type LIMIT 1)
    FROM types WHERE types.job_type IS NOT NULL)
  SELECT types.job_type,
    (SELECT count(*) FROM job WHERE job.status = 'WAITING' AND job.job_type = types.job_type)::integer AS count,
    ARRAY(SELECT job.id FROM job WHERE job.status = 'WAITING' AND job.job_type = types.job_type ORDER BY job.id LIMIT $2) AS ids
  FROM types WHERE types.job_type IS NOT NULL AND types.job_type <> ALL($1::text[])
  ORDER BY types.job_type`;

export interface UnservedJobs {
  jobType: string;
  count: number;
  /** The oldest ones' ids, at most `idLimit`. */
  ids: number[];
}

/** Waiting jobs of a type not in `servedTypes`, by type. */
export async function selectUnservedJobs(client: pg.ClientBase, servedTypes: readonly string[], idLimit = 10): Promise<UnservedJobs[]> {
  const result = await client.query<{ job_type: string; count: number; ids: string[] }>(TEXT, [servedTypes, idLimit]);
  return result.rows.map((row) => ({ jobType: row.job_type, count: row.count, ids: row.ids.map(Number) }));
}
