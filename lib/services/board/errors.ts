// The job board's errors, as TaskFlow names them: every failure of a board operation is a
// JobFailure (a database error included, with the error as its cause); UnclaimableJob is the
// one a claim raises when someone holds the job. NotFound is apart: the job is not on the
// board (it never was, it was consumed, or it is not claimed by anyone to abandon or consume),
// or wait() found no job in time.

export class JobFailure extends Error {
  override name = 'JobFailure';
}

/** The job is claimed by someone (`owner`, when it could be read). */
export class UnclaimableJob extends JobFailure {
  override name = 'UnclaimableJob';
  constructor(message: string, readonly owner: string | null = null) {
    super(message);
  }
}

export class NotFound extends Error {
  override name = 'NotFound';
}

/** `who` must name someone: a non-empty string (TaskFlow's check_who). */
export function checkWho(who: unknown): asserts who is string {
  if (typeof who !== 'string') throw new TypeError(`who must be a string, not ${who === null ? 'null' : typeof who}`);
  if (who.trim() === '') throw new RangeError('who must not be empty');
}
