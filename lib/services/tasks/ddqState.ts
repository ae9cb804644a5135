import type { JobStatus } from '../job/interfaces/jobStatus.ts';

/**
 * A job's state as django-db-queue names it: a view of the one status column plus the step,
 * never stored. The view job_state in schema.sql is the same mapping in SQL.
 *   NEW         WAITING, never started (step 0, no attempt yet)
 *   READY       WAITING after a completed step, or after a failed try that will be retried
 *   PROCESSING  RUNNING: a runner is running its current step
 *   COMPLETED   every step completed
 *   FAILED      a step failed for good
 *   SUSPENDED   kept as itself: suspended jobs are neither ready nor failed; resumed, they
 *               are READY (or NEW) again at the same step
 */
export const DdqState = {
  NEW: 'NEW',
  READY: 'READY',
  PROCESSING: 'PROCESSING',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  SUSPENDED: 'SUSPENDED',
} as const;
export type DdqState = (typeof DdqState)[keyof typeof DdqState];

export interface StateOfJob {
  status: JobStatus;
  step: number;
  attemptCount: number;
}

export function ddqState(job: StateOfJob): DdqState {
  switch (job.status) {
    case 'WAITING':
      return job.step === 0 && job.attemptCount === 0 ? DdqState.NEW : DdqState.READY;
    case 'RUNNING':
      return DdqState.PROCESSING;
    default:
      return job.status;
  }
}

/** The same mapping as a SQL expression over the job table (alias `job`), for listings. */
export const DDQ_STATE_SQL = `CASE
      WHEN job.status = 'WAITING' AND job.step = 0 AND job.attempt_count = 0 THEN 'NEW'
      WHEN job.status = 'WAITING' THEN 'READY'
      WHEN job.status = 'RUNNING' THEN 'PROCESSING'
      ELSE job.status
    END`;
