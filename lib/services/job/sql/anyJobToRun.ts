import type pg from 'pg';
import { statementConfig } from '../../database/preparedStatements.ts';
import { READY_CONDITION } from './readyCondition.ts';

// Whether a run of these job types would do anything: a ready job, or a RUNNING one whose
// lease has expired (its runner died; the run would requeue or fail it, whatever its queue).
// Both halves use an index (job__ready_queue__idx, job__running_lease__idx). Asked on a plain client before TypeORM
// and the job source are loaded, so an empty run -- cron's most common case -- loads neither.
const TEXT = `SELECT EXISTS (SELECT 1 FROM job WHERE job.job_type = ANY($1::text[]) AND job.queue_name = ANY($2::text[]) AND ${READY_CONDITION})
  OR EXISTS (SELECT 1 FROM job WHERE job.job_type = ANY($1::text[]) AND job.status = 'RUNNING' AND job.lease_expires < now())
  AS any`;

/** True when a run over `jobTypes` in `queues` has a job to run or a dead runner's job to recover. */
export async function anyJobToRun(client: pg.ClientBase, jobTypes: readonly string[], queues: readonly string[] = ['default']): Promise<boolean> {
  const result = await client.query<{ any: boolean }>(statementConfig(client, 'jobsystem_any_job_to_run', TEXT, [jobTypes, queues]));
  return result.rows[0].any;
}
