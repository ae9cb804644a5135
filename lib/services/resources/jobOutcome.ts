import type { EntityManager } from 'typeorm';
import type { JobStatus } from '../job/interfaces/jobStatus.ts';
import type { NotifyListener } from '../notify/listener.ts';
import type { NotifyEvent } from '../notify/payload.ts';
import { JobNotFound, JobWaitTimedOut } from './errors.ts';
import { selectJobOutcome } from './sql/selectJobOutcome.ts';

/** A job as a caller waiting for it sees it. */
export interface JobOutcome {
  id: number;
  jobType: string;
  status: JobStatus;
  /** COMPLETED or FAILED. */
  finished: boolean;
  /** What run() returned (COMPLETED jobs on resources). */
  result: unknown;
  /** Why it failed (`Name: message`), or null. */
  error: string | null;
  /** Refused at enqueue: FAILED without ever being claimed. */
  refused: boolean;
  resourceType: string | null;
  resourceName: string | null;
  dateQueued: Date;
  dateStarted: Date | null;
  dateEnded: Date | null;
}

/** The job's outcome as it stands now; JobNotFound ("Job 'N' does not exist.") for an unknown id. */
export async function readJobOutcome(manager: EntityManager, id: number): Promise<JobOutcome> {
  const row = await selectJobOutcome(manager, id);
  if (!row) throw new JobNotFound(id);
  const finished = row.status === 'COMPLETED' || row.status === 'FAILED';
  return {
    id: Number(row.id),
    jobType: row.job_type,
    status: row.status,
    finished,
    result: row.status === 'COMPLETED' ? row.result : null,
    error: row.status === 'FAILED' ? row.last_error : null,
    refused: row.status === 'FAILED' && row.attempt_count === 0,
    resourceType: row.resource_type,
    resourceName: row.resource_name,
    dateQueued: row.date_created,
    dateStarted: row.date_started,
    dateEnded: finished ? row.date_finished : null,
  };
}

export interface AwaitOptions {
  /** Give up after this long (JobWaitTimedOut). */
  timeoutMs: number;
  /** Read the row again at least this often, whatever the notifications say (default 1 s): a
   * safety net for a job with no resource (its end sends no event) or a lost notification. */
  pollMs?: number;
}

/**
 * Wait until job `id` is COMPLETED or FAILED and return its outcome (result or error). The
 * listener (started) is subscribed before the row is first read, so an event sent between the
 * read and the wait is not missed; every `error`/`success` event of the job, and every
 * reconnection of the listener, reads the row again. JobNotFound for an unknown id,
 * JobWaitTimedOut after timeoutMs. Give it a manager outside any transaction: each read must
 * see what has committed since the last.
 */
export async function awaitJob(manager: EntityManager, listener: NotifyListener, id: number, options: AwaitOptions): Promise<JobOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 1000;
  let signalled = false;
  let wake: (() => void) | undefined;
  const unsubscribe = listener.subscribe((event: NotifyEvent) => {
    const concerns = event.kind === 'reconnected' || (event.kind === 'job_event' && event.jobId === id && (event.event === 'error' || event.event === 'success'));
    if (!concerns) return;
    signalled = true;
    wake?.();
  });
  try {
    for (;;) {
      signalled = false;
      const outcome = await readJobOutcome(manager, id);
      if (outcome.finished) return outcome;
      const left = deadline - Date.now();
      if (left <= 0) throw new JobWaitTimedOut(id, options.timeoutMs);
      if (signalled) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, pollMs));
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
  } finally {
    unsubscribe();
  }
}
