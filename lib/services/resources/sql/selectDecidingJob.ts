import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';

// The latest job still pending on the resource (the running one included) that creates or
// deletes it: what the resource will be when a job enqueued now runs. Reads
// job__resource_pending__idx backwards from the resource's newest pending job.
const TEXT = `SELECT job.id, job.resource_options FROM job
  WHERE job.resource_type = $1 AND job.resource_name = $2 AND job.resource_name IS NOT NULL
    AND job.status IN ('WAITING', 'RUNNING', 'SUSPENDED')
    AND (job.resource_options LIKE '%CREATE%' OR job.resource_options LIKE '%DELETE%')
  ORDER BY job.id DESC LIMIT 1`;

export interface DecidingJob {
  id: number;
  options: string;
}

export async function selectDecidingJob(manager: EntityManager, resourceType: string, resourceName: string): Promise<DecidingJob | undefined> {
  const [row] = await runStatement<{ id: string; resource_options: string }>(manager, 'jobsystem_select_deciding_job', TEXT, [resourceType, resourceName]);
  return row ? { id: Number(row.id), options: row.resource_options } : undefined;
}
