import type pg from 'pg';

// Only a job nobody runs (WAITING or SUSPENDED): a RUNNING one belongs to its runner. The
// reason takes the place of the last error, and no OOPS goes with it.
const TEXT = `UPDATE job SET status = 'FAILED', date_finished = now(), lease_expires = NULL, claimed_by = NULL,
    last_error = $2, last_oops = NULL
  WHERE job.id = $1 AND job.status IN ('WAITING', 'SUSPENDED')
  RETURNING job.id`;

/** WAITING or SUSPENDED -> FAILED, with `reason` as job.last_error. False in any other status. */
export async function cancelPendingJob(client: pg.ClientBase, id: number, reason: string): Promise<boolean> {
  return (await client.query({ name: 'jobsystem_admin_cancel_job', text: TEXT, values: [id, reason] })).rowCount === 1;
}
