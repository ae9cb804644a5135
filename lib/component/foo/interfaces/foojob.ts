import type { IDomainJob, IDomainJobSource } from '../../../services/job/interfaces/domainJob.ts';
import { defineJobSource } from '../../../services/job/sourceInterface.ts';
import type { Foo } from '../model/foo.ts';

/** The kinds of Foo job, stored in foojob.job_type. */
export const FooJobType = {
  DO_FOO: { name: 'DO_FOO', title: 'Do foo' },
} as const;
export type FooJobType = (typeof FooJobType)[keyof typeof FooJobType];

/** A job related to a Foo: `target` is the Foo (the classes also call it `foo`). */
export interface IFooJob extends IDomainJob<Foo> {}

/** A job to do Foo. */
export interface IDoFooJob extends IFooJob {}

/** Acquiring DoFooJobs: create, or acquire (at most one pending per Foo). */
export interface IDoFooJobSource extends IDomainJobSource<Foo, IDoFooJob> {}

/** The utility a config section names: source_interface: lib.component.foo.interfaces.foojob.IDoFooJobSource */
// The declaration (its job types and name) lets an empty run skip loading the source.
export const IDoFooJobSource = defineJobSource<IDoFooJobSource>(
  'IDoFooJobSource',
  async () => (await import('../model/dofoojob.ts')).DoFooJob,
  { jobTypes: ['DoFooJob'], jobName: 'DoFooJob' },
);
