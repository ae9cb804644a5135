import type { EntityManager } from 'typeorm';
import type { ErrorClass } from '../../services/job/interfaces/job.ts';
import { ResourceAlreadyExists, ResourceNotFound } from '../../services/resources/errors.ts';
import type { EnqueuedJob } from '../../services/resources/enqueue.ts';
import { ResourceJob } from '../../services/resources/resourceJob.ts';
import { defineResourceJobs } from '../../services/resources/resourceJobSource.ts';
import { ResourceOption } from '../../services/resources/resourceOptions.ts';
import { instanceType, type InstanceState } from './model/instance.ts';

/** A version the caller asked for that is no version. A user error: FAILED, no OOPS. */
export class InvalidVersion extends Error {
  override name = 'InvalidVersion';
}

const VERSION_PATTERN = '^v?\\d+(\\.\\d+)*$';

/** The arguments of a create or an upgrade: {"version": "v2.0"}. */
const VERSION_ARGS = {
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: { version: { type: 'string', pattern: VERSION_PATTERN, maxLength: 100, description: 'A version such as v2.0' } },
};

function versionOf(args: Record<string, unknown>): string {
  const { version } = args;
  if (typeof version !== 'string' || !new RegExp(VERSION_PATTERN).test(version)) throw new InvalidVersion(`'${String(version)}' is not a version such as v2.0`);
  return version;
}

/** Create instance <name> at args.version. Refused at enqueue if it exists (409). */
export class CreateInstanceJob extends ResourceJob {
  static override resourceType = instanceType;
  static override resourceOptions = [ResourceOption.CREATE];
  static override argsSchema = VERSION_ARGS;
  override userErrorTypes: readonly ErrorClass[] = [ResourceNotFound, ResourceAlreadyExists, InvalidVersion];

  async perform(manager: EntityManager): Promise<InstanceState> {
    const version = versionOf(this.args);
    await manager.query('INSERT INTO instance (name, version) VALUES ($1, $2)', [this.resourceName, version]);
    return { name: this.resourceName, version };
  }
}

/** Upgrade instance <name> to args.version. Refused at enqueue if it will not exist (404). */
export class UpgradeInstanceJob extends ResourceJob {
  static override resourceType = instanceType;
  static override resourceOptions = [ResourceOption.UPDATE];
  static override argsSchema = VERSION_ARGS;
  override userErrorTypes: readonly ErrorClass[] = [ResourceNotFound, ResourceAlreadyExists, InvalidVersion];

  async perform(manager: EntityManager): Promise<InstanceState & { previousVersion: string }> {
    const version = versionOf(this.args);
    const [row]: Array<{ previous: string }> = await manager.query(
      `WITH old AS (SELECT version AS previous FROM instance WHERE name = $1 FOR UPDATE),
        changed AS (UPDATE instance SET version = $2, date_upgraded = now() WHERE name = $1)
       SELECT previous FROM old`, [this.resourceName, version]);
    return { name: this.resourceName, version, previousVersion: row!.previous };
  }
}

/** Delete instance <name>. Refused at enqueue if it will not exist (404). */
export class DeleteInstanceJob extends ResourceJob {
  static override resourceType = instanceType;
  static override resourceOptions = [ResourceOption.DELETE];
  static override argsSchema = { type: 'object', additionalProperties: false, properties: {} };

  async perform(manager: EntityManager): Promise<{ name: string; deleted: true }> {
    await manager.query('DELETE FROM instance WHERE name = $1', [this.resourceName]);
    return { name: this.resourceName, deleted: true };
  }
}

/** The job source of the section [instance_jobs]. */
export const instanceJobs = defineResourceJobs('InstanceJob', [CreateInstanceJob, UpgradeInstanceJob, DeleteInstanceJob]);

// What a web application calls in its request's transaction. Each returns the job (its id to
// await or look up later) and, when it was refused, why (answer 404 or 409 with it).
export function createInstance(manager: EntityManager, name: string, version: string): Promise<EnqueuedJob> {
  return CreateInstanceJob.enqueue(manager, name, { version });
}

export function upgradeInstance(manager: EntityManager, name: string, version: string): Promise<EnqueuedJob> {
  return UpgradeInstanceJob.enqueue(manager, name, { version });
}

export function deleteInstance(manager: EntityManager, name: string): Promise<EnqueuedJob> {
  return DeleteInstanceJob.enqueue(manager, name);
}
