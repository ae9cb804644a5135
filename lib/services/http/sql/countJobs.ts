import type { EntityManager } from 'typeorm';
import type { JobStatus } from '../../job/interfaces/jobStatus.ts';

// Every job counted by queue, type and status, for the status page and /metrics. Read from
// job__queue_type_status__idx as an index-only scan in index order (no sort, no heap visit for
// the pages VACUUM has marked all-visible), never a sequential scan of the table: with a
// million finished jobs kept as history this is still the narrowest thing to read.
const TEXT = `SELECT job.queue_name, job.job_type, job.status, count(*) AS count
  FROM job
  GROUP BY job.queue_name, job.job_type, job.status
  ORDER BY job.queue_name, job.job_type, job.status`;

export interface JobCount {
  status: JobStatus;
  queueName: string;
  jobType: string;
  count: number;
}

export async function countJobs(manager: EntityManager): Promise<JobCount[]> {
  const rows: Array<{ status: JobStatus; queue_name: string; job_type: string; count: number }> = await manager.query(TEXT);
  return rows.map((row) => ({ status: row.status, queueName: row.queue_name, jobType: row.job_type, count: Number(row.count) }));
}

export const COUNT_JOBS_SQL = TEXT;
