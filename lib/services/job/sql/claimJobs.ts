import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, READY_CONDITION, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

// One statement picks and claims: the row locks taken by FOR UPDATE SKIP LOCKED make
// concurrent runners pick disjoint jobs, and the UPDATE sets RUNNING, the lease and the owner
// together, so there is no moment where a job is picked but not yet marked as ours.
// `date_started < $5` keeps a job that this run already started (and requeued) for the next run.
// `id > $6` starts the index scan after the jobs this run has already claimed: the rows it
// claimed stay in the ready index as dead entries until VACUUM, and scanning them again on
// every claim would make a long run quadratic.
// `runner_deaths = 0` leaves suspects (jobs a runner died holding) to claimSuspectJob, which
// takes them one at a time, so a job that kills its runner is never claimed with others again.
// A source with one job type compares it with `=`, which reads job__ready__idx in id order; with
// several, `= ANY` reads job__ready_by_id__idx. (With `= ANY` over one type, the planner
// would walk the primary key through all the history rows: 150 ms per claim at 1M rows.)
const text = (typeCondition: string) => `WITH picked AS (
    SELECT id FROM job
    WHERE ${typeCondition} AND ${READY_CONDITION}
      AND (job.date_started IS NULL OR job.date_started < $5)
      AND job.id > $6
      AND job.runner_deaths = 0
    ORDER BY job.id
    LIMIT $2
    FOR UPDATE SKIP LOCKED)
  UPDATE job SET status = 'RUNNING', attempt_count = job.attempt_count + 1,
    date_started = now(), date_finished = NULL,
    lease_expires = now() + make_interval(secs => $3::double precision / 1000), claimed_by = $4
  FROM picked WHERE job.id = picked.id
  RETURNING ${JOB_COLUMNS}`;
const ONE_TYPE = text('job.job_type = $1::text');
const SEVERAL_TYPES = text('job.job_type = ANY($1::text[])');

export interface ClaimOptions {
  jobTypes: readonly string[];
  limit: number;
  leaseMs: number;
  owner: string;
  /** Jobs started at or after this time are not claimed again in the same run. */
  runStartedAt: Date;
  /** Only jobs with a greater id: the highest id this run has claimed so far. */
  afterId?: number;
}

/** Claim up to `limit` ready jobs for `owner`; they come back RUNNING, oldest first. */
export async function claimJobs(manager: EntityManager, options: ClaimOptions): Promise<Job[]> {
  const one = options.jobTypes.length === 1;
  const rows = await runStatement<JobRow>(manager, one ? 'jobsystem_claim_jobs_of_type' : 'jobsystem_claim_jobs', one ? ONE_TYPE : SEVERAL_TYPES, [
    one ? options.jobTypes[0] : options.jobTypes,
    options.limit,
    options.leaseMs,
    options.owner,
    options.runStartedAt,
    options.afterId ?? 0,
  ]);
  return rows.map(jobFromRow).sort((a, b) => a.id - b.id);
}
