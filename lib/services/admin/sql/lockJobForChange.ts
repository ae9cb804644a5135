import type pg from 'pg';
import { statementConfig } from '../../database/preparedStatements.ts';
import type { JobStatus } from '../../job/interfaces/jobStatus.ts';

// FOR UPDATE: the status read here is the one the change is checked against, and no runner
// can claim or finish the job between the check and the change. A runner holds the row only
// while it commits a claim or an outcome, so the wait is short.
const TEXT = 'SELECT job.status, job.resource_type, job.resource_name FROM job WHERE job.id = $1 FOR UPDATE';

export interface LockedJob {
  status: JobStatus;
  /** The job's resource, when it names one (jobs on resources, lib/services/resources/). */
  resourceType: string | null;
  resourceName: string | null;
}

/** Lock job `id` for the rest of the transaction and return its status and resource; undefined when there is no such job. */
export async function lockJobForChange(client: pg.ClientBase, id: number): Promise<LockedJob | undefined> {
  const result = await client.query<{ status: JobStatus; resource_type: string | null; resource_name: string | null }>(statementConfig(client, 'jobsystem_admin_lock_job', TEXT, [id]));
  const row = result.rows[0];
  return row ? { status: row.status, resourceType: row.resource_type, resourceName: row.resource_name } : undefined;
}
