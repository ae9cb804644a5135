import type { DataSource } from 'typeorm';
import type { Clock } from '../clock.ts';
import { countJobs, type JobCount } from './sql/countJobs.ts';
import { expiredLeases, type ExpiredLeases } from './sql/expiredLeases.ts';
import { finishedPerMinute, type FinishedInMinute } from './sql/finishedPerMinute.ts';
import { oldestWaiting, type OldestWaiting } from './sql/oldestWaiting.ts';
import { oldestWaitingJobs, type WaitingJob } from './sql/oldestWaitingJobs.ts';
import { recentFailures, type RecentFailure } from './sql/recentFailures.ts';

/** How far back the throughput chart and the "last hour" metrics look. */
export const LAST_HOUR_MS = 3_600_000;

/** What the status page and /metrics show, read at one moment. */
export interface StatusSnapshot {
  takenAt: Date;
  counts: JobCount[];
  oldestWaiting: OldestWaiting[];
  expiredLeases: ExpiredLeases[];
  /** Jobs finished in the last hour, per minute, queue, type and status. */
  finished: FinishedInMinute[];
  recentFailures: RecentFailure[];
  /** The oldest WAITING jobs (the page offers to cancel them). */
  waitingJobs: WaitingJob[];
}

/**
 * Read the snapshot in one REPEATABLE READ, READ ONLY transaction, so its parts agree with
 * each other (a job that failed between two statements is counted once, in one place).
 */
export async function takeStatusSnapshot(dataSource: DataSource, clock: Clock, listLimit: number): Promise<StatusSnapshot> {
  const takenAt = clock.now();
  return dataSource.transaction('REPEATABLE READ', async (manager) => {
    await manager.query('SET TRANSACTION READ ONLY');
    return {
      takenAt,
      counts: await countJobs(manager),
      oldestWaiting: await oldestWaiting(manager, takenAt),
      expiredLeases: await expiredLeases(manager, takenAt),
      finished: await finishedPerMinute(manager, new Date(takenAt.getTime() - LAST_HOUR_MS)),
      recentFailures: listLimit > 0 ? await recentFailures(manager, listLimit) : [],
      waitingJobs: listLimit > 0 ? await oldestWaitingJobs(manager, listLimit) : [],
    };
  });
}

/**
 * takeStatusSnapshot shared by concurrent callers: while one is being read, every other
 * caller gets the same one instead of reading again, so 200 dashboards or scrapers at once
 * cost one set of queries at a time. Nothing is kept after it is answered: each scrape that
 * comes after reads the database afresh.
 */
export function sharedSnapshots(read: () => Promise<StatusSnapshot>): () => Promise<StatusSnapshot> {
  let inFlight: Promise<StatusSnapshot> | undefined;
  return () => {
    if (!inFlight) inFlight = read().finally(() => (inFlight = undefined));
    return inFlight;
  };
}
