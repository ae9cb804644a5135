import { toError } from '../job/interfaces/errors.ts';
import type { Logger } from './logger.ts';

/** How long a stopping process waits for the database to take back its unstarted jobs. */
const RELEASE_WAIT_MS = 3000;

export interface StopSignalOptions {
  logger: Logger;
  /** How long running jobs have to finish after the first signal. */
  gracePeriodMs: number;
  /** The first signal: claim nothing more (the runner or the worker's lanes). */
  stop(): void;
  /** Hand back now the claimed jobs that have not started; resolves to how many. */
  releaseUnstarted(): Promise<number>;
  /** Told of the first signal (the script records it: its exit status becomes 128+signal). */
  onSignal(signal: NodeJS.Signals): void;
}

/**
 * SIGTERM or SIGINT, for run_jobs and the long-running worker alike: claim nothing more, let
 * running jobs finish within the grace period, hand back claimed jobs that have not started,
 * and exit 128+signal. A second signal, or the end of the grace period, exits at once: the
 * leases of running jobs cover them, and the claimed jobs that have not started are handed
 * back first (waiting at most RELEASE_WAIT_MS for the database), so they neither wait for a
 * lease nor lose an attempt. remove() takes the handlers away (the run ended by itself).
 */
export function handleStopSignals(options: StopSignalOptions): { remove(): void } {
  const { logger, gracePeriodMs } = options;
  let timer: NodeJS.Timeout | undefined;
  let signalled = false;
  let exiting = false;
  const exitNow = async (status: number, why: string) => {
    if (exiting) process.exit(status);
    exiting = true;
    const released = await releaseWithin(options.releaseUnstarted, RELEASE_WAIT_MS);
    if (typeof released === 'number') {
      logger.info(`${why}: exiting now; handed back ${released} claimed job(s) that had not started; running jobs are covered by their leases.`);
    } else {
      logger.warning(`${why}: exiting now; could not hand back the claimed jobs that had not started (${released.message}): they run again once their leases pass; running jobs are covered by their leases.`);
    }
    process.exit(status);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    const status = 128 + (signal === 'SIGINT' ? 2 : 15);
    if (signalled) return void exitNow(status, `Received ${signal} again`);
    signalled = true;
    options.onSignal(signal);
    options.stop();
    logger.info(`Received ${signal}: claiming no more jobs; running jobs have ${gracePeriodMs / 1000}s to finish.`);
    timer = setTimeout(() => void exitNow(status, 'Grace period over'), gracePeriodMs);
    timer.unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    remove: () => {
      clearTimeout(timer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/** release(), or the reason it did not finish within `ms`. */
async function releaseWithin(release: () => Promise<number>, ms: number): Promise<number | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  try {
    return await Promise.race([release().catch(toError), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
