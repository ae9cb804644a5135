import type { EntityManager } from 'typeorm';
import { JOB_COLUMNS, jobFromRow, runStatement, type JobRow } from './jobRow.ts';
import type { Job } from '../model/job.ts';

// A RUNNING job whose lease has passed belongs to a runner that died (a live runner renews
// its leases). Nothing says whether the dead runner had started it (a runner claims a batch
// ahead), so the attempt its claim counted is taken back, and the death is counted in
// runner_deaths instead: the job becomes a suspect, which runners claim only on its own
// (claimSuspectJob.ts), so it cannot take healthy jobs down with it again. Every job gets at
// least one more try, as a dead runner is rarely the job's fault; after max(max_retries, 1) + 1
// deaths it is FAILED (that attempt stays counted: it was running when its runner died).
// A suspect's later deaths count only when it was the only job its runner held: a runner runs
// a suspect beside other work only in a worker process of its own, where the suspect cannot
// kill the runner, so a runner that died then was killed by something else.
// Runners call this at start and on every heartbeat: the partial index job__running_lease__idx
// holds only RUNNING jobs, so the range lease_expires < now() reads the expired ones alone.
// A runner of the same host whose process is gone ($2, deadRunners.ts) is dead for certain:
// its jobs are taken back at once, live lease or not.
// A job out of tries whose type has a failure hook ($3) is not FAILED here but taken over by
// the rescuing runner ($4, its lease $5 ms), which then fails it through the hook, in one
// transaction (failJobWithHook.ts); if that runner dies too, the lease passes and the next
// rescue does the same.
const TEXT = `WITH expired AS (
    SELECT id, claimed_by AS previous_owner,
      job.runner_deaths + CASE WHEN job.runner_deaths = 0 OR NOT EXISTS (
          SELECT 1 FROM job other WHERE other.status = 'RUNNING' AND other.claimed_by = job.claimed_by AND other.id <> job.id)
        THEN 1 ELSE 0 END AS deaths
    FROM job
    WHERE job.job_type = ANY($1::text[]) AND job.status = 'RUNNING'
      AND (job.lease_expires < now() OR job.claimed_by = ANY($2::text[]))
    FOR UPDATE SKIP LOCKED)
  UPDATE job SET
    status = CASE WHEN expired.deaths <= GREATEST(job.max_retries, 1) THEN 'WAITING'
      WHEN job.job_type = ANY($3::text[]) THEN 'RUNNING' ELSE 'FAILED' END,
    attempt_count = CASE WHEN expired.deaths <= GREATEST(job.max_retries, 1) THEN GREATEST(job.attempt_count - 1, 0) ELSE job.attempt_count END,
    runner_deaths = expired.deaths,
    date_finished = CASE WHEN expired.deaths > GREATEST(job.max_retries, 1) AND job.job_type = ANY($3::text[]) THEN NULL ELSE now() END,
    lease_expires = CASE WHEN expired.deaths > GREATEST(job.max_retries, 1) AND job.job_type = ANY($3::text[]) THEN now() + $5 * interval '1 millisecond' END,
    claimed_by = CASE WHEN expired.deaths > GREATEST(job.max_retries, 1) AND job.job_type = ANY($3::text[]) THEN $4 END
  FROM expired WHERE job.id = expired.id
  RETURNING ${JOB_COLUMNS}, job.runner_deaths, expired.previous_owner`;

export interface RescuedJob {
  job: Job;
  /** The runner (host:pid) that had claimed it. */
  previousOwner: string | null;
  /** How many times a runner has now died holding it, this time included. */
  runnerDeaths: number;
}

/** Who fails, itself, the jobs out of tries that have a failure hook: their types, the
 * rescuing runner and the lease it takes them with. */
export interface FailureTakeover {
  jobTypes: readonly string[];
  owner: string;
  leaseMs: number;
}

/** Requeue or fail jobs left RUNNING by dead runners (their lease passed, or their owner is
 * one of `deadOwners`, runners of this host known dead); returns them in their new state
 * (RUNNING under `takeover.owner`: out of tries, to be failed through their hook). */
export async function rescueExpiredJobs(manager: EntityManager, jobTypes: readonly string[], deadOwners: readonly string[] = [], takeover?: FailureTakeover): Promise<RescuedJob[]> {
  const values = [jobTypes, deadOwners, takeover?.jobTypes ?? [], takeover?.owner ?? null, takeover?.leaseMs ?? 0];
  const rows = await runStatement<JobRow & { previous_owner: string | null; runner_deaths: number }>(manager, 'jobsystem_rescue_expired_jobs', TEXT, values);
  return rows.map((row) => ({ job: jobFromRow(row), previousOwner: row.previous_owner, runnerDeaths: row.runner_deaths }));
}
