import type { EntityManager } from 'typeorm';
import type { NotifyListener } from '../notify/listener.ts';
import { JobWaitTimedOut, ResourceBusy, ResourceNotFound } from './errors.ts';
import { awaitJob } from './jobOutcome.ts';
import { resourceTypes, type ResourceTypeRegistry } from './resourceTypes.ts';
import { selectRunningResourceJob } from './sql/selectRunningResourceJob.ts';

export type ReadMode =
  /** The resource as committed now, without waiting: while a job runs on it, the state before
   * that job (the job's writes commit together with its COMPLETED status). */
  | { mode: 'snapshot' }
  /** Wait until the job running on the resource now, if any, has finished, then read: the
   * state after it. ResourceBusy after timeoutMs. */
  | { mode: 'wait'; listener: NotifyListener; timeoutMs: number; pollMs?: number };

/**
 * Read a resource (Cast's read access, both of the seed's options). `manager` must be outside
 * any transaction, or in a READ COMMITTED one: each statement then sees what has committed.
 * A missing resource is ResourceNotFound.
 */
export async function readResource<State = unknown>(manager: EntityManager, resourceType: string, name: string, how: ReadMode = { mode: 'snapshot' }, registry: ResourceTypeRegistry = resourceTypes): Promise<State> {
  const type = registry.get(resourceType);
  if (how.mode === 'wait') {
    const running = await selectRunningResourceJob(manager, type.name, name);
    if (running !== undefined) {
      try {
        await awaitJob(manager, how.listener, running, { timeoutMs: how.timeoutMs, ...(how.pollMs === undefined ? {} : { pollMs: how.pollMs }) });
      } catch (error) {
        if (error instanceof JobWaitTimedOut) throw new ResourceBusy(type.title, name, running, how.timeoutMs);
        throw error;
      }
    }
  }
  const state = (await type.read(name, manager)) as State | undefined;
  if (state === undefined) throw new ResourceNotFound(type.title, name);
  return state;
}

/** Every resource of a type, sorted by name (code point order, whatever the database's collation). */
export async function listResources<State = unknown>(manager: EntityManager, resourceType: string, registry: ResourceTypeRegistry = resourceTypes): Promise<Array<State & { name: string }>> {
  const list = (await registry.get(resourceType).list(manager)) as Array<State & { name: string }>;
  return [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
