import { DomainJob, JobDomain, type DomainJobRow } from '../../../services/job/domainJob.ts';
import { FooJobType, type IFooJob } from '../interfaces/foojob.ts';
import { Foo, FooEntity } from './foo.ts';

/** The Foo job domain: table foojob, whose column foo names the Foo a job is about. */
const fooJobs = new JobDomain({ table: 'foojob', targetColumn: 'foo', targetEntity: FooEntity, jobTypes: FooJobType });

/** The entity of foojob (add it to lib/entities.ts), and its rows. */
export const FooJobEntity = fooJobs.entity;
export type FooJob = DomainJobRow<Foo>;

/** The base of every Foo job class: create / acquire / iterReady / fromJobs come from DomainJob. */
export abstract class FooJobDerived extends DomainJob<Foo> implements IFooJob {
  static override readonly domain = fooJobs;

  get foo(): Foo {
    return this.target;
  }
}
