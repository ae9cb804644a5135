import type { EntityManager } from 'typeorm';
import type { IJobSource } from '../job/interfaces/job.ts';
import type { Job } from '../job/model/job.ts';
import { selectReadyJobs } from '../job/sql/selectReadyJobs.ts';
import type { ResourceJob, ResourceJobClass } from './resourceJob.ts';
import { selectResourceColumns } from './sql/selectResourceColumns.ts';

/**
 * The job source of some ResourceJob classes (one job type per class), for a config section's
 * source_interface. Claimed rows get their resource columns in one extra statement per batch.
 */
export class ResourceJobSource implements IJobSource {
  readonly jobTypes: readonly string[];
  private readonly classes: Map<string, ResourceJobClass>;

  constructor(readonly name: string, classes: readonly ResourceJobClass[]) {
    if (classes.length === 0) throw new Error('a resource job source needs at least one job class');
    this.classes = new Map(classes.map((jobClass) => [jobClass.name, jobClass]));
    this.jobTypes = [...this.classes.keys()];
  }

  /** The job classes, one per job type. */
  get jobClasses(): ResourceJobClass[] {
    return [...this.classes.values()];
  }

  async iterReady(manager: EntityManager): Promise<ResourceJob[]> {
    return this.fromJobs(manager, await selectReadyJobs(manager, this.jobTypes));
  }

  async fromJobs(manager: EntityManager, jobs: readonly Job[]): Promise<ResourceJob[]> {
    if (jobs.length === 0) return [];
    const columns = await selectResourceColumns(manager, jobs.map((job) => job.id));
    return jobs.map((job) => {
      const JobClass = this.classes.get(job.jobType);
      if (!JobClass) throw new Error(`job ${job.id} has job_type ${job.jobType}, which is none of ${this.jobTypes.join(', ')}`);
      const resource = columns.get(job.id);
      if (!resource?.resourceName) throw new Error(`job ${job.id} (${job.jobType}) names no resource`);
      return new JobClass(Object.assign(job, resource));
    });
  }
}

/** Whether `value` (a loaded job source) is a ResourceJobSource. */
export function isResourceJobSource(value: unknown): value is ResourceJobSource {
  return value instanceof ResourceJobSource;
}

export function defineResourceJobs(name: string, classes: readonly ResourceJobClass[]): ResourceJobSource {
  return new ResourceJobSource(name, classes);
}
