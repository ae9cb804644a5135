import type pg from 'pg';

// As Job.resume(): the lease and owner a suspended job may still carry are cleared;
// scheduled_start is kept.
const TEXT = `UPDATE job SET status = 'WAITING', lease_expires = NULL, claimed_by = NULL
  WHERE job.id = $1 AND job.status = 'SUSPENDED'
  RETURNING job.id`;

/** SUSPENDED -> WAITING. False when the job is not SUSPENDED. */
export async function resumeSuspendedJob(client: pg.ClientBase, id: number): Promise<boolean> {
  return (await client.query({ name: 'jobsystem_admin_resume_job', text: TEXT, values: [id] })).rowCount === 1;
}
