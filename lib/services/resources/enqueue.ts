import type { EntityManager } from 'typeorm';
import { errorSummary } from '../job/errorSummary.ts';
import type { Job } from '../job/model/job.ts';
import type { ResourceRefusal } from './errors.ts';
import { decodeOptions, encodeOptions, existsAfter, refusalFor, type ResourceOption } from './resourceOptions.ts';
import { resourceTypes, type ResourceTypeRegistry } from './resourceTypes.ts';
import { insertResourceJob } from './sql/insertResourceJob.ts';
import { lockResource } from './sql/lockResource.ts';
import { selectDecidingJob } from './sql/selectDecidingJob.ts';

export interface ResourceJobRequest {
  /** The job class's name (job.job_type). */
  jobType: string;
  resourceType: string;
  resourceName: string;
  options?: readonly ResourceOption[];
  /** The job's arguments (job.json_data). */
  args?: Record<string, unknown>;
  maxRetries?: number;
  requester?: string | null;
  scheduledStart?: Date | null;
  queueName?: string;
  priority?: number;
}

export interface EnqueuedJob {
  job: Job;
  /** Why the job was refused (it is FAILED, with this error, and will never run), or null. */
  refused: ResourceRefusal | null;
  /** Whether the resource was predicted to exist when the job runs. */
  predictedExists: boolean;
  /** The pending CREATE or DELETE job that decided the prediction; undefined when the
   * resource type's exists() did. */
  decidedBy?: number;
}

/**
 * Enqueue a job on a resource, failing fast (Cast's prediction): the latest pending CREATE or
 * DELETE job of the resource (the running one included) decides whether it will exist when
 * this job runs; with none, the resource type's exists() does. A job that would run on a
 * resource predicted missing is refused with ResourceNotFound, a job that only creates one
 * predicted to exist with ResourceAlreadyExists: it is inserted FAILED with that error, gets
 * an id, never runs, and the error comes back in `refused` (the caller may answer 404/409).
 * The enqueues of one resource take turns (a transaction-long lock), so none predicts from a
 * queue another is changing. Runs in the caller's transaction (one is opened when the manager
 * has none): the job exists, and the lock is released, when it commits. An unregistered
 * resource type is an UnknownResourceType error, and nothing is inserted.
 */
export async function enqueueResourceJob(manager: EntityManager, request: ResourceJobRequest, registry: ResourceTypeRegistry = resourceTypes): Promise<EnqueuedJob> {
  const type = registry.get(request.resourceType);
  const options = encodeOptions(request.options ?? []);
  if (!manager.queryRunner?.isTransactionActive) return manager.transaction((inTransaction) => enqueueResourceJob(inTransaction, request, registry));
  const name = request.resourceName;
  if (typeof name !== 'string' || name.length === 0) throw new Error(`a job on ${type.title} needs a resource name`);
  const isolation = await lockResource(manager, type.name, name);
  if (isolation !== 'read committed') {
    throw new Error(`enqueueResourceJob needs a READ COMMITTED transaction (this one is ${isolation.toUpperCase()}): its snapshot would not see the jobs enqueued just before it`);
  }
  const deciding = await selectDecidingJob(manager, type.name, name);
  const predictedExists = deciding ? existsAfter(decodeOptions(deciding.options), false) : await type.exists(name, manager);
  const refused = refusalFor(type.title, name, decodeOptions(options), predictedExists);
  const job = await insertResourceJob(manager, {
    jobType: request.jobType,
    resourceType: type.name,
    resourceName: name,
    resourceOptions: options,
    jsonData: request.args ?? {},
    maxRetries: request.maxRetries ?? 0,
    requester: request.requester ?? null,
    scheduledStart: request.scheduledStart ?? null,
    queueName: request.queueName ?? 'default',
    priority: request.priority ?? 0,
    status: refused ? 'FAILED' : 'WAITING',
    lastError: refused ? errorSummary(refused) : null,
  });
  if (refused) refused.jobId = job.id;
  return { job, refused, predictedExists, ...(deciding ? { decidedBy: deciding.id } : {}) };
}
