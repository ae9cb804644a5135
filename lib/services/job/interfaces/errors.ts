// InvalidTransition lives beside the transition map it enforces; importable from here too.
export { InvalidTransition } from './jobStatus.ts';

/** Another runner holds a live lease on the job. */
export class LeaseHeld extends Error {
  override name = 'LeaseHeld';
  constructor(readonly jobId?: number) {
    super(jobId === undefined ? 'Lease is already held.' : `Lease on job ${jobId} is already held.`);
  }
}

/** Thrown by run() to park the job as SUSPENDED until someone resumes it. */
export class SuspendJob extends Error {
  override name = 'SuspendJob';
  constructor(message = 'Job suspended itself.') {
    super(message);
  }
}

/** A job ran past its time limit. */
export class JobTimeout extends Error {
  override name = 'JobTimeout';
  constructor(message = 'Job ran too long.') {
    super(message);
  }
}

/** Make any thrown value an Error, so every catch handles one shape. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(`Non-error thrown: ${JSON.stringify(thrown)}`);
  } catch {
    return new Error(`Non-error thrown: ${String(thrown)}`);
  }
}

/** A job's worker process grew past its memory limit and was killed. */
export class JobMemoryExceeded extends Error {
  override name = 'JobMemoryExceeded';
}

/** The process running a job died before reporting an outcome. */
export class WorkerDied extends Error {
  override name = 'WorkerDied';
}
