import type pg from 'pg';
import { InvalidTransition } from '../job/interfaces/errors.ts';
import { checkTransition, statusTitle, type JobStatus } from '../job/interfaces/jobStatus.ts';
import { ERROR_SUMMARY_MAX } from '../job/errorSummary.ts';
import { redactSecrets } from '../oops/redact.ts';
import { BadAdminRequest, JobBusy, JobNotFound } from './errors.ts';
import type { JobSummary } from './jobSummary.ts';
import { checkOperator, inAdminTransaction, logAdminAction, type Operator } from './operator.ts';
import { checkJobId } from './showJob.ts';
import { cancelPendingJob } from './sql/cancelPendingJob.ts';
import { lockJobForChange } from './sql/lockJobForChange.ts';
import { lockResourceQueue } from './sql/lockResourceQueue.ts';
import { resumeSuspendedJob } from './sql/resumeSuspendedJob.ts';
import { retryFailedJob } from './sql/retryFailedJob.ts';
import { selectJobSummary } from './sql/selectJobSummary.ts';
import { suspendWaitingJob } from './sql/suspendWaitingJob.ts';

export type JobAction = 'retry' | 'suspend' | 'resume' | 'cancel';

interface ActionDefinition {
  /** The statuses an operator may take the job from: a subset of what the transition map allows. */
  from: readonly JobStatus[];
  to: JobStatus;
  /** Why another status is refused, in InvalidTransition's message. */
  refusal: string;
  /** Past tense, for the log line. */
  done: string;
  statement(client: pg.ClientBase, id: number, detail: string | null): Promise<boolean>;
  /** Puts a finished job back in the queue (a job on a resource rejoins its resource's queue). */
  requeues?: boolean;
}

const ACTIONS: Record<JobAction, ActionDefinition> = {
  retry: { from: ['FAILED'], to: 'WAITING', refusal: 'only a failed job can be retried', done: 'retried', statement: (client, id) => retryFailedJob(client, id), requeues: true },
  suspend: { from: ['WAITING'], to: 'SUSPENDED', refusal: 'only a waiting job can be suspended (a running one belongs to its runner)', done: 'suspended', statement: (client, id) => suspendWaitingJob(client, id) },
  resume: { from: ['SUSPENDED'], to: 'WAITING', refusal: 'only a suspended job can be resumed', done: 'resumed', statement: (client, id) => resumeSuspendedJob(client, id) },
  cancel: { from: ['WAITING', 'SUSPENDED'], to: 'FAILED', refusal: 'only a waiting or suspended job can be cancelled (a running one belongs to its runner)', done: 'cancelled', statement: (client, id, detail) => cancelPendingJob(client, id, detail ?? '') },
};

// Each operator action is one of the transition map's own transitions: if the map ever stops
// allowing one, this module refuses to load rather than change statuses behind its back.
for (const action of Object.values(ACTIONS)) for (const from of action.from) checkTransition(from, action.to);

/** The job statuses from which `action` is allowed (for the status page's buttons). */
export function actionAllowedFrom(action: JobAction): readonly JobStatus[] {
  return ACTIONS[action].from;
}

export interface JobChange {
  action: JobAction;
  oldStatus: JobStatus;
  /** The job after the change. */
  job: JobSummary;
  operator: string;
  /** The admin_log entry of the change. */
  logId: number;
  dateLogged: string;
}

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Take job `id` through `action` in a transaction of its own on `client` (not already in
 * one), recording it in admin_log. JobNotFound when there is no such job; InvalidTransition,
 * with nothing changed, when the job's status does not allow the action; JobBusy when a
 * runner keeps the row locked past the lock timeout.
 */
export interface ChangeOptions {
  /** Recorded with the change (admin_log.detail); a cancel's reason, written to job.last_error. */
  detail?: string;
  /** How long to wait for a runner's lock on the row before JobBusy (default 10 s). */
  lockTimeoutMs?: number;
}

export async function changeJobStatus(client: pg.ClientBase, action: JobAction, id: number, operator: Operator, options: ChangeOptions = {}): Promise<JobChange> {
  const detail = options.detail ?? null;
  const definition = ACTIONS[action];
  if (!definition) throw new BadAdminRequest(`unknown action '${String(action)}'`);
  checkJobId(id);
  checkOperator(operator);
  const change = await inAdminTransaction(client, async () => {
    const locked = await lockJobForChange(client, id);
    if (locked === undefined) throw new JobNotFound(id);
    const oldStatus = locked.status;
    if (!definition.from.includes(oldStatus)) throw new InvalidTransition(oldStatus, definition.to, definition.refusal);
    checkTransition(oldStatus, definition.to);
    // A finished job on a resource goes back into its resource's queue: not while a runner is
    // claiming a later job of that resource (lockResourceQueue says why).
    if (definition.requeues && locked.resourceType !== null && locked.resourceName !== null) await lockResourceQueue(client, locked.resourceType, locked.resourceName);
    // The row is locked and its status checked: the guarded statement cannot miss it.
    if (!(await definition.statement(client, id, detail))) throw new Error(`job ${id} was not ${definition.done}, though it was ${oldStatus} and locked`);
    const logged = await logAdminAction(client, operator, { action, job: id, oldStatus, newStatus: definition.to, detail });
    const job = (await selectJobSummary(client, id))!;
    return { action, oldStatus, job, operator: operator.name, ...logged };
  }, options.lockTimeoutMs).catch((error: unknown) => {
    throw (error as { code?: string }).code === LOCK_NOT_AVAILABLE ? new JobBusy(id) : error;
  });
  operator.log?.(`${operator.name} ${definition.done} job ${id} (${change.job.jobType}): ${statusTitle(change.oldStatus)} -> ${statusTitle(definition.to)}${detail ? `: ${detail}` : ''}.`);
  return change;
}

/** FAILED -> WAITING, ready at once, its retries counted afresh. */
export function retryJob(client: pg.ClientBase, id: number, operator: Operator): Promise<JobChange> {
  return changeJobStatus(client, 'retry', id, operator);
}

/** WAITING -> SUSPENDED: no runner claims it until it is resumed. */
export function suspendJob(client: pg.ClientBase, id: number, operator: Operator): Promise<JobChange> {
  return changeJobStatus(client, 'suspend', id, operator);
}

/** SUSPENDED -> WAITING. */
export function resumeJob(client: pg.ClientBase, id: number, operator: Operator): Promise<JobChange> {
  return changeJobStatus(client, 'resume', id, operator);
}

/** WAITING or SUSPENDED -> FAILED, job.last_error `Cancelled by <operator>: <reason>`. */
export function cancelJob(client: pg.ClientBase, id: number, operator: Operator, reason = 'no reason given'): Promise<JobChange> {
  const line = redactSecrets(`Cancelled by ${operator.name}: ${reason}`).replace(/\s+/g, ' ').trim();
  return changeJobStatus(client, 'cancel', id, operator, { detail: line.length <= ERROR_SUMMARY_MAX ? line : `${line.slice(0, ERROR_SUMMARY_MAX - 1)}…` });
}
