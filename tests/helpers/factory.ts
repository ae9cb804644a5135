// Consistent defaults for test objects (Launchpad's LaunchpadObjectFactory, in small).
import type { EntityManager } from 'typeorm';
import { Foo, FooEntity } from '../../lib/component/foo/model/foo.ts';
import { JobStatus } from '../../lib/services/job/interfaces/jobStatus.ts';
import { Job, JobEntity } from '../../lib/services/job/model/job.ts';
import { insertJob } from '../../lib/services/job/sql/insertJob.ts';

let counter = 0;

export async function makeFoo(manager: EntityManager, fields: Partial<Foo> = {}): Promise<Foo> {
  counter += 1;
  const foo = manager.create(FooEntity, { name: `foo-${counter}`, someAttribute: null, ...fields });
  return manager.save(FooEntity, foo);
}

export interface JobFields {
  status?: JobStatus;
  jobType?: string;
  attemptCount?: number;
  maxRetries?: number;
  leaseExpires?: Date | null;
  scheduledStart?: Date | null;
}

/** A bare job row in the given status (the runner will not find a domain row for it). */
export async function makeJob(manager: EntityManager, fields: JobFields = {}): Promise<Job> {
  const { status = JobStatus.WAITING, jobType = 'TestJob', ...rest } = fields;
  const job = await insertJob(manager, { jobType });
  if (status !== JobStatus.WAITING || Object.keys(rest).length > 0) {
    await manager.update(JobEntity, { id: job.id }, { status, ...rest });
  }
  return (await manager.findOneByOrFail(JobEntity, { id: job.id }));
}

export async function reloadJob(manager: EntityManager, id: number): Promise<Job> {
  return manager.findOneByOrFail(JobEntity, { id });
}
