// The errors of jobs on resources. Each says in its message what a person needs, and those a
// web request may end in carry the HTTP status that fits (404, 409).

/** The resource does not exist, or is predicted not to exist when the job would run. */
export class ResourceNotFound extends Error {
  override name = 'ResourceNotFound';
  readonly httpStatus = 404;
  /** The id of the refused job, when an enqueue was refused. */
  jobId?: number;
  constructor(readonly title: string, readonly resourceName: string) {
    super(`${title} '${resourceName}' does not exist.`);
  }
}

/** A job that only creates its resource, on a resource that exists (or is predicted to). */
export class ResourceAlreadyExists extends Error {
  override name = 'ResourceAlreadyExists';
  readonly httpStatus = 409;
  jobId?: number;
  constructor(readonly title: string, readonly resourceName: string) {
    super(`${title} '${resourceName}' already exists.`);
  }
}

/** What an enqueue may be refused with. */
export type ResourceRefusal = ResourceNotFound | ResourceAlreadyExists;

/** No resource type of that name is registered. */
export class UnknownResourceType extends Error {
  override name = 'UnknownResourceType';
  constructor(readonly resourceType: string, known: readonly string[]) {
    super(`No resource type '${resourceType}' is registered (registered: ${known.length > 0 ? known.join(', ') : 'none'}).`);
  }
}

/** No job has this id. */
export class JobNotFound extends Error {
  override name = 'JobNotFound';
  readonly httpStatus = 404;
  constructor(readonly jobId: number) {
    super(`Job '${jobId}' does not exist.`);
  }
}

/** A job did not finish within the time a caller waited for it. */
export class JobWaitTimedOut extends Error {
  override name = 'JobWaitTimedOut';
  constructor(readonly jobId: number, readonly timeoutMs: number) {
    super(`Job ${jobId} did not finish within ${timeoutMs} ms.`);
  }
}

/** A read in wait mode: the resource's running job did not finish in time. */
export class ResourceBusy extends Error {
  override name = 'ResourceBusy';
  constructor(title: string, resourceName: string, readonly jobId: number, readonly timeoutMs: number) {
    super(`${title} '${resourceName}' is still busy with job ${jobId} after ${timeoutMs} ms.`);
  }
}
