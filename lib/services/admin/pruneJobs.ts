import type pg from 'pg';
import { systemClock, type Clock } from '../clock.ts';
import { deleteFinishedJobs } from './sql/deleteFinishedJobs.ts';

export interface PruneOptions {
  /** Jobs created (and finished) longer ago than this are deleted. */
  olderThanMs: number;
  /** Jobs per DELETE statement (default 1,000). */
  batchSize?: number;
  clock?: Clock;
  /** Called after each batch with the total deleted so far. */
  onBatch?: (deletedSoFar: number) => void;
  /** Asked before each batch: true stops after the batches already done. */
  shouldStop?: () => boolean;
}

export interface PruneResult {
  deleted: number;
  cutoff: Date;
  /** True when shouldStop() ended the run before everything old was deleted. */
  stopped: boolean;
}

/**
 * Delete COMPLETED and FAILED jobs older than `olderThanMs`, with their domain rows, in
 * batches (Launchpad's garbage collector, django-db-queue's delete_old_jobs). WAITING,
 * RUNNING and SUSPENDED jobs are never deleted, however old.
 *
 * Pass a client that is not inside a transaction (or a pool): each batch is then its own short
 * transaction, so row locks and the cascade's work are held for one batch only, runners are
 * not kept waiting, and an interrupted run keeps what it deleted.
 */
export async function pruneJobs(client: pg.ClientBase | pg.Pool, options: PruneOptions): Promise<PruneResult> {
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, not ${batchSize}`);
  if (!(options.olderThanMs >= 0)) throw new RangeError(`olderThanMs must not be negative, not ${options.olderThanMs}`);
  // One cutoff for the whole run: jobs that become old while it runs wait for the next run.
  const cutoff = new Date((options.clock ?? systemClock).now().getTime() - options.olderThanMs);
  let deleted = 0;
  for (;;) {
    if (options.shouldStop?.()) return { deleted, cutoff, stopped: true };
    const count = await deleteFinishedJobs(client, cutoff, batchSize);
    deleted += count;
    if (count > 0) options.onBatch?.(deleted);
    // SKIP LOCKED may return fewer than asked while more remain; those wait for the next run.
    if (count < batchSize) return { deleted, cutoff, stopped: false };
  }
}
