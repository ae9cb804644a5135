import type { EntityManager } from 'typeorm';
import type { IJobSource, IRunnableJob } from '../../../services/job/interfaces/job.ts';
import { defineJobSource } from '../../../services/job/sourceInterface.ts';
import type { Job } from '../../../services/job/model/job.ts';
import type { Foo } from '../model/foo.ts';
import type { FooJob } from '../model/foojob.ts';

/** The kinds of Foo job, stored in foojob.job_type. */
export const FooJobType = {
  DO_FOO: { name: 'DO_FOO', title: 'Do foo' },
} as const;
export type FooJobType = (typeof FooJobType)[keyof typeof FooJobType];

/** A job related to a Foo. */
export interface IFooJob extends IRunnableJob {
  /** The foojob row: the Foo, the FooJobType and the job's own data. */
  readonly context: FooJob;
  readonly foo: Foo;
  readonly job: Job;
  readonly metadata: Record<string, unknown>;
}

/** Acquiring IFooJobs. */
export interface IFooJobSource<T extends IFooJob = IFooJob> extends IJobSource {
  /** A new job for `foo`, in the caller's transaction. */
  create(manager: EntityManager, foo: Foo, metadata?: Record<string, unknown>): Promise<T>;
}

/** A job to do Foo. */
export interface IDoFooJob extends IFooJob {}

/** Acquiring DoFooJobs: at most one pending per Foo. */
export interface IDoFooJobSource extends IFooJobSource<IDoFooJob> {
  /** The pending job for `foo`, or a new one: two callers at once still get one job. */
  acquire(manager: EntityManager, foo: Foo): Promise<IDoFooJob>;
}

/** The utility a config section names: source_interface: lib.component.foo.interfaces.foojob.IDoFooJobSource */
// The declaration (its job types and name) lets an empty run skip loading the source.
export const IDoFooJobSource = defineJobSource<IDoFooJobSource>(
  'IDoFooJobSource',
  async () => (await import('../model/dofoojob.ts')).DoFooJob,
  { jobTypes: ['DoFooJob'], jobName: 'DoFooJob' },
);
