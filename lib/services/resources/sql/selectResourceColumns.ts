import type { EntityManager } from 'typeorm';
import { runStatement } from '../../job/sql/jobRow.ts';

// The claim returns the columns every job has; a batch of claimed jobs on resources gets its
// resource columns here, in one statement, so that jobs with no resource carry none of them.
const TEXT = `SELECT job.id, job.resource_type, job.resource_name, job.resource_options FROM job WHERE job.id = ANY($1::bigint[])`;

export interface ResourceColumns {
  resourceType: string | null;
  resourceName: string | null;
  resourceOptions: string | null;
}

export async function selectResourceColumns(manager: EntityManager, ids: readonly number[]): Promise<Map<number, ResourceColumns>> {
  const rows = await runStatement<{ id: string; resource_type: string | null; resource_name: string | null; resource_options: string | null }>(
    manager, 'jobsystem_select_resource_columns', TEXT, [`{${ids.join(',')}}`]);
  return new Map(rows.map((row) => [Number(row.id), { resourceType: row.resource_type, resourceName: row.resource_name, resourceOptions: row.resource_options }]));
}
