import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, READY_CONDITION, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

// The claim of a suspect (a ready job that a runner died holding, runner_deaths > 0): one job,
// never a batch, so the runner can run it on its own and a job that kills its runner again is
// known to be the one that did. job__suspect__idx holds only waiting suspects. `id <> ALL($4)`
// keeps the suspects this run has already run (and perhaps requeued) for the next run.
// The UPDATE finds the picked row by primary key, as claimJobs.ts does.
const TEXT = `WITH picked AS (
    SELECT id FROM job
    WHERE job.job_type = ANY($1::text[]) AND job.queue_name = ANY($5::text[]) AND ${READY_CONDITION}
      AND job.runner_deaths > 0
      AND job.id <> ALL($4::bigint[])
    ORDER BY job.priority DESC, job.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED)
  UPDATE job SET status = 'RUNNING', attempt_count = job.attempt_count + 1,
    date_started = now(), date_finished = NULL,
    lease_expires = now() + make_interval(secs => $2::double precision / 1000), claimed_by = $3
  WHERE job.id = ANY(ARRAY(SELECT id FROM picked))
  RETURNING ${JOB_COLUMNS}, job.runner_deaths`;

export interface SuspectClaimOptions {
  jobTypes: readonly string[];
  leaseMs: number;
  owner: string;
  /** The queues served (default: 'default'). */
  queues?: readonly string[];
  /** Suspects this run has already run. */
  exclude: readonly number[];
}

/** Claim the oldest ready suspect for `owner`, or undefined when there is none. */
export async function claimSuspectJob(manager: EntityManager, options: SuspectClaimOptions): Promise<Job | undefined> {
  const rows = await runStatement<JobRow & { runner_deaths: number }>(manager, 'jobsystem_claim_suspect_job', TEXT, [
    options.jobTypes,
    options.leaseMs,
    options.owner,
    `{${options.exclude.join(',')}}`,
    options.queues ?? ['default'],
  ]);
  if (!rows[0]) return undefined;
  const job = jobFromRow(rows[0]);
  job.runnerDeaths = rows[0].runner_deaths;
  return job;
}
