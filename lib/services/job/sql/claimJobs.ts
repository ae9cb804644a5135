import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, READY_CONDITION, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';
import { noteJobId } from '../../database/preparedStatements.ts';

// One statement picks and claims: the row locks taken by FOR UPDATE SKIP LOCKED make
// concurrent runners pick disjoint jobs, and the UPDATE sets RUNNING, the lease and the owner
// together, so there is no moment where a job is picked but not yet marked as ours.
// Order: within the runner's queues, priority (higher first), then the oldest first. A job
// between steps of a multi-step job is WAITING like a new one and competes with it.
// `date_started < $5` keeps a job that this run already started (and requeued, or advanced to
// its next step) for the next run; a worker starts a new run for every wake-up, so it takes
// the next step at once (lib/services/worker/). A run's first claim passes NULL (nothing of
// the run has started yet) and the run then takes its start from the date_started (now() of
// that statement) of the rows it claimed: no round trip to read the server's clock first.
// `runner_deaths = 0` leaves suspects (jobs a runner died holding) to claimSuspectJob, which
// takes them one at a time, so a job that kills its runner is never claimed with others again.
// One queue and one job type (every configured section's case) compare with `=`, which reads
// job__ready_queue__idx (queue_name, job_type, priority DESC, id) in claim order and stops after
// $2 rows (EXPLAIN in the README). Several compare with `= ANY` and sort the ready rows of
// those types (the partial indexes hold only WAITING rows, never finished history).
// There is no "after the last id claimed" cursor: with priorities, a job created during the
// run may sort before every job already claimed. The claimed rows stay in the index as dead
// entries until VACUUM, but the first scan that meets one marks it dead in the index
// (PostgreSQL's killed index tuples), so later claims step over it without visiting the
// table: a 20,000-job drain measured no slower than with the cursor (README).
// The claim commits without waiting for its WAL to reach the disk (synchronous_commit off for
// this statement's transaction alone, set by the InitPlan in RETURNING): that wait was half of
// a claim's round trip, and it is the one between a woken worker and its job's start. What a
// server crash could lose is only a claim whose job has committed nothing yet: any commit that
// follows on the server (the job's own, a heartbeat's) writes the WAL out up to itself, which
// takes the earlier claim with it, and the WAL writer does so within a fraction of a second.
// A lost claim leaves the job WAITING with its attempt not counted: what the hand-back does
// for jobs of a runner that lost its database (lib/services/worker/workerLane.ts), and what
// the claim of a job whose runner died gives back too. So no job is lost or run twice for it
// more than a crash already allows (a job is run at least once, its writes commit once).
// The UPDATE finds the picked rows by `id = ANY(ARRAY(SELECT id FROM picked))`, one primary-key
// probe each, not by joining picked: for a batch the planner took a hash join over a
// sequential scan of the whole job table (history included: 75 ms a claim of 2,000 at 300,000
// rows, in every claim of a draining worker). tests/claimStatement.test.ts holds the plan.
const text = (typeCondition: string, queueCondition: string) => `WITH picked AS (
    SELECT id FROM job
    WHERE ${queueCondition} AND ${typeCondition} AND ${READY_CONDITION}
      AND (job.date_started IS NULL OR $5::timestamptz IS NULL OR job.date_started < $5)
      AND job.runner_deaths = 0
    ORDER BY job.priority DESC, job.id
    LIMIT $2
    FOR UPDATE SKIP LOCKED)
  UPDATE job SET status = 'RUNNING', attempt_count = job.attempt_count + 1,
    date_started = now(), date_finished = NULL,
    lease_expires = now() + make_interval(secs => $3::double precision / 1000), claimed_by = $4
  WHERE job.id = ANY(ARRAY(SELECT id FROM picked))
  RETURNING ${JOB_COLUMNS}, (SELECT set_config('synchronous_commit', 'off', true)) AS claim_commit`;
export const CLAIM_ONE_QUEUE_ONE_TYPE = text('job.job_type = $1::text', 'job.queue_name = $6::text');
const SEVERAL = text('job.job_type = ANY($1::text[])', 'job.queue_name = ANY($6::text[])');

export interface ClaimOptions {
  jobTypes: readonly string[];
  /** The queues served (default: 'default'). */
  queues?: readonly string[];
  limit: number;
  leaseMs: number;
  owner: string;
  /** Jobs started at or after this time are not claimed again in the same run; null for a
   * run's first claim. */
  runStartedAt: Date | null;
}

/** Claim up to `limit` ready jobs for `owner`; they come back RUNNING, in claim order
 * (highest priority first, then oldest first). */
export async function claimJobs(manager: EntityManager, options: ClaimOptions): Promise<Job[]> {
  const queues = options.queues ?? ['default'];
  const one = options.jobTypes.length === 1 && queues.length === 1;
  const rows = await runStatement<JobRow>(manager, one ? 'jobsystem_claim_jobs_of_queue_type' : 'jobsystem_claim_jobs_of_queues', one ? CLAIM_ONE_QUEUE_ONE_TYPE : SEVERAL, [
    one ? options.jobTypes[0] : options.jobTypes,
    options.limit,
    options.leaseMs,
    options.owner,
    options.runStartedAt,
    one ? queues[0] : queues,
  ]);
  const jobs = rows.map(jobFromRow).sort((a, b) => b.priority - a.priority || a.id - b.id);
  for (const job of jobs) noteJobId(job.id);
  return jobs;
}
