import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';

// The job running on a resource now, if any (at most one: the claim's resource rule). Served
// by job__resource_holding__idx.
const TEXT = `SELECT job.id FROM job
  WHERE job.resource_type = $1 AND job.resource_name = $2 AND job.resource_name IS NOT NULL AND job.status = 'RUNNING'
  LIMIT 1`;

export async function selectRunningResourceJob(manager: EntityManager, resourceType: string, resourceName: string): Promise<number | undefined> {
  const [row] = await runStatement<{ id: string }>(manager, 'jobsystem_select_running_resource_job', TEXT, [resourceType, resourceName]);
  return row ? Number(row.id) : undefined;
}
