import type pg from 'pg';

// A retry starts the job's retries afresh (attempt_count 0: its retry errors are retried again
// up to max_retries) at the step it failed in, with its workspace. runner_deaths is kept: a job
// that killed its runner is still run on its own. last_error and last_oops stay, as history.
const TEXT = `UPDATE job SET status = 'WAITING', attempt_count = 0, scheduled_start = NULL,
    lease_expires = NULL, claimed_by = NULL, date_finished = NULL
  WHERE job.id = $1 AND job.status = 'FAILED'
  RETURNING job.id`;

/** FAILED -> WAITING, ready at once. False when the job is not FAILED. */
export async function retryFailedJob(client: pg.ClientBase, id: number): Promise<boolean> {
  return (await client.query({ name: 'jobsystem_admin_retry_job', text: TEXT, values: [id] })).rowCount === 1;
}
