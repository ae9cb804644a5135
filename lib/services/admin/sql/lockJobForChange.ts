import type pg from 'pg';
import type { JobStatus } from '../../job/interfaces/jobStatus.ts';

// FOR UPDATE: the status read here is the one the change is checked against, and no runner
// can claim or finish the job between the check and the change. A runner holds the row only
// while it commits a claim or an outcome, so the wait is short.
const TEXT = 'SELECT job.status FROM job WHERE job.id = $1 FOR UPDATE';

/** Lock job `id` for the rest of the transaction and return its status; undefined when there is no such job. */
export async function lockJobForChange(client: pg.ClientBase, id: number): Promise<JobStatus | undefined> {
  const result = await client.query<{ status: JobStatus }>({ name: 'jobsystem_admin_lock_job', text: TEXT, values: [id] });
  return result.rows[0]?.status;
}
