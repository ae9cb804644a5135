import type pg from 'pg';
import type { Clock } from '../clock.ts';
import { checkOperator, logAdminAction, type Operator } from './operator.ts';
import { pruneOops } from './oopsReports.ts';
import { pruneJobs, type PruneOptions } from './pruneJobs.ts';

export interface JobPruneReport {
  deleted: number;
  /** ISO 8601: jobs created and finished before this were deleted. */
  cutoff: string;
  stopped: boolean;
  logId: number;
}

/**
 * delete_old_jobs' pruning (pruneJobs: COMPLETED and FAILED jobs older than olderThanMs, in
 * batches of their own transactions), run by an operator and recorded in admin_log. `client`
 * must not be in a transaction.
 */
export async function pruneOldJobs(client: pg.ClientBase, options: PruneOptions, operator: Operator): Promise<JobPruneReport> {
  checkOperator(operator);
  const result = await pruneJobs(client, options);
  const cutoff = result.cutoff.toISOString();
  const detail = `deleted ${result.deleted} COMPLETED or FAILED jobs older than ${cutoff}${result.stopped ? ' (stopped early)' : ''}`;
  const { logId } = await logAdminAction(client, operator, { action: 'prune', detail });
  operator.log?.(`${operator.name} pruned jobs: ${detail}.`);
  return { deleted: result.deleted, cutoff, stopped: result.stopped, logId };
}

export interface OopsPruneReport {
  deleted: number;
  cutoff: string;
  logId: number;
}

/** Delete the OOPS reports under errorDir filed more than olderThanMs ago, recorded in admin_log. */
export async function pruneOldOops(client: pg.ClientBase, errorDir: string, olderThanMs: number, operator: Operator, clock?: Clock): Promise<OopsPruneReport> {
  checkOperator(operator);
  const result = await pruneOops(errorDir, olderThanMs, clock);
  const cutoff = result.cutoff.toISOString();
  const detail = `deleted ${result.deleted} OOPS reports filed before ${cutoff}`;
  const { logId } = await logAdminAction(client, operator, { action: 'prune_oops', detail });
  operator.log?.(`${operator.name} pruned OOPS reports: ${detail}.`);
  return { deleted: result.deleted, cutoff, logId };
}
