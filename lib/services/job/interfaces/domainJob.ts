import type { EntityManager } from 'typeorm';
import type { DomainJobRow } from '../domainJob.ts';
import type { Job } from '../model/job.ts';
import type { IJobSource, IRunnableJob } from './job.ts';

/** A job about one row of a domain table (IFooJob is IDomainJob<Foo>). */
export interface IDomainJob<Target> extends IRunnableJob {
  /** The domain job row: the target, the job type and the job's own data. */
  readonly context: DomainJobRow<Target>;
  readonly target: Target;
  readonly job: Job;
  readonly metadata: Record<string, unknown>;
}

/** Making and finding jobs of one domain job class. */
export interface IDomainJobSource<Target, T extends IDomainJob<Target> = IDomainJob<Target>> extends IJobSource {
  /** A new job for `target`, in the caller's transaction. */
  create(manager: EntityManager, target: Target, metadata?: Record<string, unknown>): Promise<T>;
  /** The pending job for `target`, or a new one: two callers at once still get one job. */
  acquire(manager: EntityManager, target: Target): Promise<T>;
}
