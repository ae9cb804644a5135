// The typed errors of the admin service layer. Each face maps them once: the command line to
// one line and exit status 2 (75 for JobBusy), the HTTP API to 404 / 400 / 409.
export { InvalidTransition } from '../job/interfaces/errors.ts';

/** No job has this id. */
export class JobNotFound extends Error {
  override name = 'JobNotFound';
  constructor(readonly jobId: number) {
    super(`Job '${jobId}' does not exist.`);
  }
}

/** No OOPS report has this id under the error_dir. */
export class OopsNotFound extends Error {
  override name = 'OopsNotFound';
  constructor(readonly oopsId: string) {
    super(`OOPS '${oopsId}' does not exist.`);
  }
}

/** A filter, page or argument the service cannot use: bad input, nothing was read or changed. */
export class BadAdminRequest extends Error {
  override name = 'BadAdminRequest';
}

/** The job's row stayed locked (a runner is finishing it) past the wait: try again. */
export class JobBusy extends Error {
  override name = 'JobBusy';
  constructor(readonly jobId: number) {
    super(`Job '${jobId}' is being changed by a runner; try again in a moment.`);
  }
}
