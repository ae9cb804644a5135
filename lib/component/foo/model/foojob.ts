import type { EntityManager } from 'typeorm';
import { EntitySchema, In } from '../../../services/database/typeorm.ts';
import { BaseRunnableJob } from '../../../services/job/runnableJob.ts';
import { Job } from '../../../services/job/model/job.ts';
import { insertJob } from '../../../services/job/sql/insertJob.ts';
import { selectReadyJobs } from '../../../services/job/sql/selectReadyJobs.ts';
import { runStatement } from '../../../services/job/sql/jobRow.ts';
import { lockForUniqueJob } from '../../../services/job/sql/lockForUniqueJob.ts';
import { PENDING_STATUSES } from '../../../services/job/interfaces/jobStatus.ts';
import type { FooJobType, IFooJob } from '../interfaces/foojob.ts';
import { Foo } from './foo.ts';

/** A row of foojob: which Foo, which kind of job, and the job's own data. */
export class FooJob {
  jobId!: number;
  job!: Job;
  fooId!: number;
  foo!: Foo;
  jobType!: string;
  jsonData: Record<string, unknown> | null = null;
}

export const FooJobEntity = new EntitySchema<FooJob>({
  name: 'FooJob',
  target: FooJob,
  tableName: 'foojob',
  columns: {
    jobId: { name: 'job', type: 'bigint', primary: true },
    fooId: { name: 'foo', type: 'integer' },
    jobType: { name: 'job_type', type: 'text' },
    jsonData: { name: 'json_data', type: 'jsonb', nullable: true },
  },
  relations: {
    job: { type: 'one-to-one', target: 'Job', joinColumn: { name: 'job' }, onDelete: 'CASCADE' },
    foo: { type: 'many-to-one', target: 'Foo', joinColumn: { name: 'foo' }, onDelete: 'CASCADE' },
  },
});

const INSERT_FOOJOB = 'INSERT INTO foojob (job, foo, job_type, json_data) VALUES ($1, $2, $3, $4)';

/** A concrete Foo job class, as the static side sees it. */
export interface FooJobClass<T extends FooJobDerived> {
  new (context: FooJob): T;
  readonly classJobType: FooJobType;
  readonly maxRetriesDefault: number;
  readonly name: string;
}

/**
 * The base of every Foo job class: maps foojob.job_type to its class, and gives each class
 * create / acquire / iterReady / fromJobs. Subclasses set classJobType and register().
 */
export abstract class FooJobDerived extends BaseRunnableJob implements IFooJob {
  static readonly classJobType: FooJobType;
  /** max_retries written into the job row at create(). */
  static readonly maxRetriesDefault: number = 0;
  private static readonly classes = new Map<string, FooJobClass<FooJobDerived>>();

  static register(cls: FooJobClass<FooJobDerived>): void {
    FooJobDerived.classes.set(cls.classJobType.name, cls);
  }

  static classFor(jobType: string): FooJobClass<FooJobDerived> {
    const cls = FooJobDerived.classes.get(jobType);
    if (!cls) throw new Error(`no Foo job class is registered for job type ${jobType}`);
    return cls;
  }

  constructor(readonly context: FooJob) {
    super();
    this.maxRetries = context.job.maxRetries;
  }

  get job(): Job {
    return this.context.job;
  }
  get foo(): Foo {
    return this.context.foo;
  }
  get metadata(): Record<string, unknown> {
    return this.context.jsonData ?? {};
  }

  /** The job.job_type values of this class: its name. */
  static get jobTypes(): string[] {
    return [this.name];
  }

  static async create<T extends FooJobDerived>(this: FooJobClass<T>, manager: EntityManager, foo: Foo, metadata: Record<string, unknown> = {}): Promise<T> {
    const job = await insertJob(manager, { jobType: this.name, maxRetries: this.maxRetriesDefault });
    const context = Object.assign(new FooJob(), { jobId: job.id, job, fooId: foo.id, foo, jobType: this.classJobType.name, jsonData: metadata });
    await runStatement(manager, 'foo_insert_foojob', INSERT_FOOJOB, [job.id, foo.id, context.jobType, metadata]);
    return new this(context);
  }

  /** The pending job of this class for `foo`, or a new one. Serialised per (class, foo) by a
   * transaction-scoped advisory lock, so concurrent callers see each other's job. */
  static async acquire<T extends FooJobDerived>(this: FooJobClass<T>, manager: EntityManager, foo: Foo): Promise<T> {
    await lockForUniqueJob(manager, this.name, foo.id);
    const existing = await manager.findOne(FooJobEntity, {
      where: { fooId: foo.id, jobType: this.classJobType.name, job: { status: In([...PENDING_STATUSES]) } },
      relations: { job: true, foo: true },
      order: { jobId: 'ASC' },
    });
    if (existing) return new this(existing);
    return FooJobDerived.create.call(this, manager, foo) as Promise<T>;
  }

  /** The ready jobs of this class, oldest first. */
  static async iterReady<T extends FooJobDerived>(this: FooJobClass<T>, manager: EntityManager): Promise<T[]> {
    const jobs = await selectReadyJobs(manager, [this.name]);
    return (await FooJobDerived.fromJobs(manager, jobs)) as T[];
  }

  /** Wrap claimed job rows into their classes, loading the foojob and foo rows in one query. */
  static async fromJobs(manager: EntityManager, jobs: readonly Job[]): Promise<FooJobDerived[]> {
    if (jobs.length === 0) return [];
    const contexts = await manager.find(FooJobEntity, { where: { jobId: In(jobs.map((job) => job.id)) }, relations: { foo: true } });
    const byId = new Map(contexts.map((context) => [Number(context.jobId), context]));
    const wrapped: FooJobDerived[] = [];
    for (const job of jobs) {
      const context = byId.get(job.id);
      if (!context) continue;
      context.job = job;
      wrapped.push(new (FooJobDerived.classFor(context.jobType))(context));
    }
    return wrapped;
  }

  override getOopsVars(): Array<[string, string]> {
    return [
      ...super.getOopsVars(),
      ['foo_id', String(this.context.fooId)],
      ['foo_job_id', String(this.context.jobId)],
      ['foo_job_type', (this.constructor as FooJobClass<FooJobDerived>).classJobType.title],
    ];
  }
}
