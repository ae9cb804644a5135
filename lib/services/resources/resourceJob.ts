import type { EntityManager } from 'typeorm';
import type { ErrorClass } from '../job/interfaces/job.ts';
import type { Job } from '../job/model/job.ts';
import { BaseRunnableJob } from '../job/runnableJob.ts';
import { finishJob } from '../job/sql/finishJob.ts';
import { notify } from '../notify/notify.ts';
import { ResourceAlreadyExists, ResourceNotFound } from './errors.ts';
import { enqueueResourceJob, type EnqueuedJob, type ResourceJobRequest } from './enqueue.ts';
import { decodeOptions, refusalFor, type ResourceOption } from './resourceOptions.ts';
import type { ResourceType } from './resourceTypes.ts';
import { clearJobStart } from './sql/clearJobStart.ts';
import { saveJobResult } from './sql/saveJobResult.ts';

export type ResourceJobOptions = Partial<Pick<ResourceJobRequest, 'options' | 'requester' | 'scheduledStart' | 'queueName' | 'priority'>>;

/** A concrete ResourceJob class, as the static side sees it. */
export interface ResourceJobClass<T extends ResourceJob = ResourceJob> {
  new (job: Job): T;
  readonly name: string;
  readonly maxRetries: number;
  readonly resourceType: ResourceType<any>;
  readonly resourceOptions: readonly ResourceOption[];
  readonly argsSchema: Record<string, unknown>;
  enqueue(manager: EntityManager, resourceName: string, args?: Record<string, unknown>, options?: ResourceJobOptions): Promise<EnqueuedJob>;
}

/**
 * A job on a resource (Cast's Job): its arguments in job.json_data, its resource in
 * job.resource_type/resource_name, its options (CREATE, DELETE, UPDATE) in
 * job.resource_options. Subclass it, name the resource type and default options, implement
 * perform(), and enqueue with `MyJob.enqueue(manager, name, args)`.
 *
 * When its turn comes the job checks the prediction it was enqueued with against the
 * resource as it is (the CREATE ahead of it may have failed): if it no longer holds, the job
 * fails with ResourceNotFound or ResourceAlreadyExists without sending `start` and without
 * performing (its date_started is cleared). Otherwise it sends `start` (committed at once,
 * apart from the run's transaction) and performs; perform()'s return value is stored as
 * job.result with COMPLETED, in the transaction of its writes.
 */
export abstract class ResourceJob extends BaseRunnableJob {
  /** The resource type the class's jobs operate on. */
  static resourceType: ResourceType<any>;
  /** The options of the class's jobs unless enqueue() is given others. */
  static resourceOptions: readonly ResourceOption[] = [];
  /** The JSON Schema of the job's arguments (job.json_data): the HTTP API's POST /jobs
   * validates a body's `args` with it, and /openapi.json publishes it. Any object by default. */
  static argsSchema: Record<string, unknown> = { type: 'object' };

  override userErrorTypes: readonly ErrorClass[] = [ResourceNotFound, ResourceAlreadyExists];
  private result: unknown = null;
  private refusedAtTurn = false;

  constructor(readonly job: Job) {
    super();
  }

  /** Do the work on the resource, in the transaction the runner passes; return a JSON value. */
  abstract perform(manager: EntityManager): Promise<unknown>;

  get args(): Record<string, unknown> {
    return this.job.jsonData ?? {};
  }

  get resourceName(): string {
    return this.job.resourceName!;
  }

  get resourceType(): ResourceType<any> {
    return (this.constructor as unknown as ResourceJobClass).resourceType;
  }

  static async enqueue<T extends ResourceJob>(this: ResourceJobClass<T>, manager: EntityManager, resourceName: string, args: Record<string, unknown> = {}, options: ResourceJobOptions = {}): Promise<EnqueuedJob> {
    return enqueueResourceJob(manager, {
      jobType: this.name,
      resourceType: this.resourceType.name,
      resourceName,
      args,
      maxRetries: this.maxRetries,
      ...options,
      options: options.options ?? this.resourceOptions,
    });
  }

  async run(manager: EntityManager): Promise<void> {
    const type = this.resourceType;
    const exists = await type.exists(this.resourceName, manager);
    const refused = refusalFor(type.title, this.resourceName, decodeOptions(this.job.resourceOptions), exists);
    if (refused) {
      refused.jobId = this.job.id;
      this.refusedAtTurn = true;
      throw refused;
    }
    // Through the pool, not the run's transaction: a subscriber learns of the start now.
    await notify(manager.connection.manager, {
      kind: 'job_event', event: 'start', jobId: this.job.id, jobType: this.job.jobType, resourceType: type.name, resourceName: this.resourceName,
    });
    this.result = (await this.perform(manager)) ?? null;
  }

  async finishRun(manager: EntityManager, owner: string): Promise<'COMPLETED' | null> {
    if (!(await saveJobResult(manager, this.job.id, owner, JSON.stringify(this.result)))) return null;
    if (!(await finishJob(manager, this.job.id, owner, 'COMPLETED'))) return null;
    this.job.result = this.result;
    return 'COMPLETED';
  }

  async beforeFailed(manager: EntityManager, owner: string): Promise<Error | undefined> {
    if (this.refusedAtTurn) await clearJobStart(manager, this.job.id, owner);
    return undefined;
  }

  override getOopsVars(): Array<[string, string]> {
    return [...super.getOopsVars(), ['resource', `${this.job.resourceType}:${this.resourceName}`]];
  }

  override getOperationDescription(): string {
    return `running ${this.constructor.name} on ${this.resourceType.title} '${this.resourceName}'`;
  }
}
