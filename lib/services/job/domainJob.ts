import type { EntityManager, FindManyOptions, FindOneOptions } from 'typeorm';
import { EntitySchema, In } from '../database/typeorm.ts';
import { PENDING_STATUSES } from './interfaces/jobStatus.ts';
import type { Job } from './model/job.ts';
import { BaseRunnableJob } from './runnableJob.ts';
import { insertJob } from './sql/insertJob.ts';
import { runStatement } from './sql/jobRow.ts';
import { lockForUniqueJob } from './sql/lockForUniqueJob.ts';
import { selectReadyJobs } from './sql/selectReadyJobs.ts';

/** One kind of job of a domain, as its job-type list names it: `{ name: 'DO_FOO', title: 'Do foo' }`.
 * The name is stored in the domain job table's job_type column; the title goes into OOPS reports. */
export interface DomainJobType {
  readonly name: string;
  readonly title: string;
}

/** A row of a domain's job table: which target, which kind of job, the job's own data. */
export class DomainJobRow<Target> {
  jobId!: number;
  job!: Job;
  targetId!: number;
  target!: Target;
  jobType!: string;
  jsonData: Record<string, unknown> | null = null;
}

export interface JobDomainOptions<Target> {
  /** The domain job table, e.g. 'foojob', with the columns job (the job's id), <targetColumn>,
   * job_type and json_data (see schema.sql). */
  table: string;
  /** The column of that table naming the target row, e.g. 'foo'. */
  targetColumn: string;
  /** The entity the jobs are about, e.g. FooEntity; its primary key is `id`. */
  targetEntity: EntitySchema<Target>;
  /** The domain's job types, e.g. `{ DO_FOO: { name: 'DO_FOO', title: 'Do foo' } }`. */
  jobTypes: Readonly<Record<string, DomainJobType>>;
  /** The TypeORM entity name of the table; default: the target entity's name + 'Job' ('FooJob'). */
  entityName?: string;
  /** The SQL type of the target column; default 'integer'. */
  targetColumnType?: 'integer' | 'bigint';
}

/**
 * A domain of jobs: its job table, the entity for it, and the statements on it. A domain's
 * base class sets `static domain = new JobDomain({...})` and gets create / acquire /
 * iterReady / fromJobs from DomainJob.
 */
export class JobDomain<Target extends { id: number }> {
  readonly entity: EntitySchema<DomainJobRow<Target>>;
  readonly entityName: string;
  readonly jobTypes: readonly DomainJobType[];
  private readonly insertName: string;
  private readonly insertText: string;

  constructor(readonly options: JobDomainOptions<Target>) {
    const { table, targetColumn, targetEntity } = options;
    for (const name of [table, targetColumn]) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`JobDomain: '${name}' is not a plain lower-case SQL name`);
    }
    this.entityName = options.entityName ?? `${targetEntity.options.name}Job`;
    this.jobTypes = Object.values(options.jobTypes);
    // TypeORM finds an entity by its class: each domain gets a class of its own.
    const rowClass = { [this.entityName]: class extends DomainJobRow<Target> {} }[this.entityName]!;
    this.entity = new EntitySchema<DomainJobRow<Target>>({
      name: this.entityName,
      target: rowClass,
      tableName: table,
      columns: {
        jobId: { name: 'job', type: 'bigint', primary: true },
        targetId: { name: targetColumn, type: options.targetColumnType ?? 'integer' },
        jobType: { name: 'job_type', type: 'text' },
        jsonData: { name: 'json_data', type: 'jsonb', nullable: true },
      },
      relations: {
        job: { type: 'one-to-one', target: 'Job', joinColumn: { name: 'job' }, onDelete: 'CASCADE' },
        target: { type: 'many-to-one', target: targetEntity.options.name, joinColumn: { name: targetColumn }, onDelete: 'CASCADE' },
      },
    });
    // A named prepared statement per domain: the name comes from the table, so two domains never share one.
    this.insertName = `${table}_insert_row`;
    this.insertText = `INSERT INTO ${table} (job, ${targetColumn}, job_type, json_data) VALUES ($1, $2, $3, $4)`;
  }

  /** Insert the domain row of a new job, in the caller's transaction. */
  async insertRow(manager: EntityManager, row: DomainJobRow<Target>): Promise<void> {
    await runStatement(manager, this.insertName, this.insertText, [row.jobId, row.targetId, row.jobType, row.jsonData]);
  }
}

/** What a domain job's target is, from the job class. */
export type TargetOf<T> = T extends DomainJob<infer Target> ? Target : never;

/** A concrete domain job class, as the static side sees it. */
export interface DomainJobClass<T extends DomainJob<any>> {
  new (context: DomainJobRow<TargetOf<T>>): T;
  readonly domain: JobDomain<TargetOf<T>>;
  readonly classJobType: DomainJobType;
  readonly maxRetries: number;
  readonly name: string;
}

/**
 * The base of every job about a row of a domain table (Launchpad's FooJobDerived). A job is a
 * `job` row plus a row of the domain's job table; job.job_type is the class name, the domain
 * row's job_type the class's `classJobType.name`. The class itself is the job source.
 */
export abstract class DomainJob<Target extends { id: number }> extends BaseRunnableJob {
  /** The domain: set once, by the domain's base class. */
  static readonly domain: JobDomain<any>;
  /** Set by each concrete class: its entry in the domain's job types. */
  static readonly classJobType: DomainJobType;

  constructor(readonly context: DomainJobRow<Target>) {
    super();
  }

  get job(): Job {
    return this.context.job;
  }
  /** The row the job is about (a Foo). */
  get target(): Target {
    return this.context.target;
  }
  /** The job's own data (the domain row's json_data). */
  get metadata(): Record<string, unknown> {
    return this.context.jsonData ?? {};
  }

  /** The job.job_type values of this class: its name. */
  static get jobTypes(): string[] {
    return [this.name];
  }

  /** A new WAITING job for `target`, in the caller's transaction. */
  static async create<T extends DomainJob<any>>(this: DomainJobClass<T>, manager: EntityManager, target: TargetOf<T>, metadata: Record<string, unknown> = {}): Promise<T> {
    const domain = this.domain;
    if (!domain.jobTypes.includes(this.classJobType)) {
      throw new Error(`${this.name}.classJobType must be one of the job types of ${domain.options.table}`);
    }
    const job = await insertJob(manager, { jobType: this.name, maxRetries: this.maxRetries });
    const context = Object.assign(new (domain.entity.options.target as new () => DomainJobRow<TargetOf<T>>)(), {
      jobId: job.id, job, targetId: target.id, target, jobType: this.classJobType.name, jsonData: metadata,
    });
    await domain.insertRow(manager, context);
    return new this(context);
  }

  /** The pending job of this class for `target`, or a new one. Serialised per (class, target)
   * by a transaction-scoped advisory lock, so concurrent callers see each other's job. */
  static async acquire<T extends DomainJob<any>>(this: DomainJobClass<T>, manager: EntityManager, target: TargetOf<T>): Promise<T> {
    await lockForUniqueJob(manager, this.name, target.id);
    const existing = await manager.findOne(this.domain.entity, {
      where: { targetId: target.id, jobType: this.classJobType.name, job: { status: In([...PENDING_STATUSES]) } },
      relations: { job: true, target: true },
      order: { jobId: 'ASC' },
    } as FindOneOptions<DomainJobRow<TargetOf<T>>>);
    if (existing) return new this(existing);
    return DomainJob.create.call(this, manager, target) as Promise<T>;
  }

  /** The ready jobs of this class, oldest first. */
  static async iterReady<T extends DomainJob<any>>(this: DomainJobClass<T>, manager: EntityManager): Promise<T[]> {
    return DomainJob.fromJobs.call(this, manager, await selectReadyJobs(manager, [this.name])) as Promise<T[]>;
  }

  /** Wrap claimed job rows of this class, loading their domain and target rows in one query.
   * A job without its domain row is left out (the runner fails it). */
  static async fromJobs<T extends DomainJob<any>>(this: DomainJobClass<T>, manager: EntityManager, jobs: readonly Job[]): Promise<T[]> {
    if (jobs.length === 0) return [];
    const contexts = await manager.find(this.domain.entity, {
      where: { jobId: In(jobs.map((job) => job.id)) },
      relations: { target: true },
    } as FindManyOptions<DomainJobRow<TargetOf<T>>>);
    const byId = new Map(contexts.map((context) => [Number(context.jobId), context]));
    const wrapped: T[] = [];
    for (const job of jobs) {
      const context = byId.get(job.id);
      if (!context) continue;
      // A row of this job's type whose domain row names a kind no class here runs: refuse the
      // batch, naming it, so that the runner fails this row alone and runs the others.
      if (context.jobType !== this.classJobType.name) {
        throw new Error(`no ${this.name} class is registered for ${this.domain.options.table}.job_type ${context.jobType} (it runs ${this.classJobType.name})`);
      }
      context.job = job;
      wrapped.push(new this(context));
    }
    return wrapped;
  }

  /** Adds <target>_id, <target>_job_id and <target>_job_type (foo_id, foo_job_id, foo_job_type). */
  override getOopsVars(): Array<[string, string]> {
    const cls = this.constructor as unknown as DomainJobClass<DomainJob<Target>>;
    const prefix = cls.domain.options.targetColumn;
    return [
      ...super.getOopsVars(),
      [`${prefix}_id`, String(this.context.targetId)],
      [`${prefix}_job_id`, String(this.context.jobId)],
      [`${prefix}_job_type`, cls.classJobType.title],
    ];
  }
}
