import type { EntityManager } from 'typeorm';
import { BaseRunnableJob } from './runnableJob.ts';
import type { Job } from './model/job.ts';
import { insertJob } from './sql/insertJob.ts';
import { insertJobs } from './sql/insertJobs.ts';
import { selectReadyJobs } from './sql/selectReadyJobs.ts';

export interface NewJobOptions {
  queueName?: string;
  priority?: number;
  scheduledStart?: Date | null;
}

/** A concrete SimpleJob class, as the static side sees it. */
export interface SimpleJobClass<T extends SimpleJob> {
  new (job: Job): T;
  readonly name: string;
  readonly maxRetries: number;
}

/**
 * A job type with no domain table: its arguments live in job.json_data (like a
 * graphile-worker task). Subclass it, implement run(), and the class itself is the job source.
 */
export abstract class SimpleJob extends BaseRunnableJob {
  constructor(readonly job: Job) {
    super();
  }

  /** The job's arguments. */
  get payload(): Record<string, unknown> {
    return this.job.jsonData ?? {};
  }

  static get jobTypes(): string[] {
    return [this.name];
  }

  /** Enqueue one job; `options` may name its queue (default 'default'), its priority (higher
   * first within the queue, default 0) and a time before which it must not run. */
  static async create<T extends SimpleJob>(this: SimpleJobClass<T>, manager: EntityManager, payload: Record<string, unknown> = {}, options: NewJobOptions = {}): Promise<T> {
    return new this(await insertJob(manager, { jobType: this.name, maxRetries: this.maxRetries, jsonData: payload, ...options }));
  }

  /** Enqueue many jobs in one statement; returns their ids. */
  static async createMany<T extends SimpleJob>(this: SimpleJobClass<T>, manager: EntityManager, payloads: ReadonlyArray<Record<string, unknown>>): Promise<number[]> {
    return insertJobs(manager, this.name, payloads, this.maxRetries);
  }

  static async iterReady<T extends SimpleJob>(this: SimpleJobClass<T>, manager: EntityManager): Promise<T[]> {
    return (await selectReadyJobs(manager, [this.name])).map((job) => new this(job));
  }

  static async fromJobs<T extends SimpleJob>(this: SimpleJobClass<T>, _manager: EntityManager, jobs: readonly Job[]): Promise<T[]> {
    return jobs.map((job) => new this(job));
  }
}
