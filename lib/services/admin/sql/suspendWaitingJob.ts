import type pg from 'pg';

// Only a WAITING job: a RUNNING one belongs to its runner until it reports an outcome.
const TEXT = `UPDATE job SET status = 'SUSPENDED'
  WHERE job.id = $1 AND job.status = 'WAITING'
  RETURNING job.id`;

/** WAITING -> SUSPENDED: no runner claims it until it is resumed. False when the job is not WAITING. */
export async function suspendWaitingJob(client: pg.ClientBase, id: number): Promise<boolean> {
  return (await client.query({ name: 'jobsystem_admin_suspend_job', text: TEXT, values: [id] })).rowCount === 1;
}
