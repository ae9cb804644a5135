import { InvalidTransition } from './errors.ts';

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

export function checkTransition(from: JobStatus, to: JobStatus): void {
  if (!VALID_TRANSITIONS[from].includes(to)) throw new InvalidTransition(from, to);
}

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && value in JobStatus;
}
