
/** The states of a job, defined once; schema.sql's CHECK on job.status mirrors them. */
export const JobStatus = {
  WAITING: 'WAITING',
  RUNNING: 'RUNNING',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  SUSPENDED: 'SUSPENDED',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** Launchpad's _valid_transitions, plus an operator's cancel of a job nobody is running:
 * WAITING or SUSPENDED -> FAILED (lib/services/admin/changeJobStatus.ts). */
export const VALID_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  WAITING: ['RUNNING', 'SUSPENDED', 'FAILED'],
  RUNNING: ['COMPLETED', 'FAILED', 'SUSPENDED', 'WAITING'],
  FAILED: ['WAITING'],
  COMPLETED: ['WAITING'],
  SUSPENDED: ['WAITING', 'FAILED'],
};

/** Statuses in which a job still has work ahead of it. */
export const PENDING_STATUSES: readonly JobStatus[] = ['WAITING', 'RUNNING', 'SUSPENDED'];

/** 'Waiting', as Launchpad's log lines print a status. */
export function statusTitle(status: JobStatus): string {
  return status.charAt(0) + status.slice(1).toLowerCase();
}

/**
 * The statuses a job may be inserted in: WAITING, or FAILED for a job refused at enqueue (a
 * job on a resource predicted not to exist, lib/services/resources/): it has an id and its
 * error, and never runs. From there on, the transitions above apply.
 */
export const CREATION_STATUSES: readonly JobStatus[] = ['WAITING', 'FAILED'];

export function checkCreationStatus(status: JobStatus): void {
  if (!CREATION_STATUSES.includes(status)) throw new Error(`A job cannot be created in status ${statusTitle(status)}.`);
}

export function checkTransition(from: JobStatus, to: JobStatus): void {
  if (!VALID_TRANSITIONS[from].includes(to)) throw new InvalidTransition(from, to);
}

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && value in JobStatus;
}

/** A job moved between two states that the transition map does not allow. */
export class InvalidTransition extends Error {
  override name = 'InvalidTransition';
  constructor(readonly from: JobStatus, readonly to: JobStatus, reason?: string) {
    super(`Transition from ${statusTitle(from)} to ${statusTitle(to)} is invalid${reason ? `: ${reason}` : ''}.`);
  }
}
