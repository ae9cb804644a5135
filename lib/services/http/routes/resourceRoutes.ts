import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import type { SharedNotifyListener } from '../../notify/sharedListener.ts';
import { ResourceNotFound } from '../../resources/errors.ts';
import { listResources, readResource } from '../../resources/readResource.ts';
import { resourceTypes, type ResourceType, type ResourceTypeRegistry } from '../../resources/resourceTypes.ts';
import { ERRORS } from './jobSchemas.ts';

export interface ResourceRoutesOptions {
  dataSource: DataSource;
  /** The server's one LISTEN connection, for reads in wait mode; null: wait mode is 503. */
  events: SharedNotifyListener | null;
  registry?: ResourceTypeRegistry;
  /** The longest wait a read may ask for (default 60 s). */
  maxWaitMs?: number;
}

const NAME = { type: 'string', minLength: 1, maxLength: 200 } as const;
const RESOURCE = { type: 'object', additionalProperties: true, description: "The resource's state, as its resource type reads it" } as const;

/** Thrown for a type no module registered: a path that names nothing, so 404. */
class UnknownTypeInPath extends Error {
  override name = 'ResourceTypeNotFound';
  readonly statusCode = 404;
}

/**
 * Reads of resources (lib/services/resources/readResource.ts): GET /resources/:type lists a
 * type's resources sorted by name; GET /resources/:type/:name reads one, as a snapshot (the
 * state before a job running on it, never blocking) or after waiting for the running job
 * (mode=wait, timeout in ms; 409 ResourceBusy when it is still running). A missing resource
 * or an unknown type is 404. Read-only tokens suffice.
 */
export function registerResourceRoutes(app: FastifyInstance, options: ResourceRoutesOptions): void {
  const registry = options.registry ?? resourceTypes;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const typeOf = (name: string): ResourceType<unknown> => {
    if (!registry.names().includes(name)) throw new UnknownTypeInPath(`no resource type '${name}' (registered: ${registry.names().join(', ') || 'none'})`);
    return registry.get(name);
  };

  app.get('/resources/:type', {
    config: { access: 'read-only' },
    schema: {
      summary: "A resource type's resources, sorted by name",
      tags: ['resources'],
      params: { type: 'object', additionalProperties: false, required: ['type'], properties: { type: NAME } },
      response: {
        200: { type: 'object', properties: { type: { type: 'string' }, resources: { type: 'array', items: RESOURCE } }, required: ['type', 'resources'] },
        ...ERRORS,
      },
    },
  }, async (request) => {
    const type = typeOf((request.params as { type: string }).type);
    return { type: type.name, resources: await listResources(options.dataSource.manager, type.name, registry) };
  });

  app.get('/resources/:type/:name', {
    config: { access: 'read-only' },
    schema: {
      summary: 'One resource: as committed now (snapshot: before a job running on it), or after the job running on it ends (wait)',
      tags: ['resources'],
      params: { type: 'object', additionalProperties: false, required: ['type', 'name'], properties: { type: NAME, name: NAME } },
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          mode: { type: 'string', enum: ['snapshot', 'wait'], default: 'snapshot' },
          timeout: { type: 'integer', minimum: 0, maximum: maxWaitMs, default: 30_000, description: 'mode=wait: how long to wait for the running job, in ms (409 after)' },
        },
      },
      response: {
        200: { type: 'object', properties: { type: { type: 'string' }, name: { type: 'string' }, mode: { type: 'string' }, state: RESOURCE }, required: ['type', 'name', 'mode', 'state'] },
        ...ERRORS,
        503: ERRORS[400],
      },
    },
  }, async (request, reply) => {
    const { type: typeName, name } = request.params as { type: string; name: string };
    const { mode, timeout } = request.query as { mode: 'snapshot' | 'wait'; timeout: number };
    const type = typeOf(typeName);
    const manager = options.dataSource.manager;
    if (mode === 'snapshot') return { type: type.name, name, mode, state: await readOne(readResource(manager, type.name, name, { mode }, registry), type, name) };
    if (!options.events) return reply.code(503).send({ error: 'Service Unavailable', message: 'mode=wait needs notifications, and this server has no connection to listen on ([database] listen_url)' });
    const lease = await options.events.acquire();
    try {
      const state = await readOne(readResource(manager, type.name, name, { mode, listener: lease.listener, timeoutMs: timeout }, registry), type, name);
      return { type: type.name, name, mode, state };
    } finally {
      lease.release();
    }
  });
}

/** A resource's state; a resource type whose read gives no object is a server error. */
async function readOne(reading: Promise<unknown>, type: ResourceType<unknown>, name: string): Promise<Record<string, unknown>> {
  const state = await reading;
  if (state === null || typeof state !== 'object') {
    if (state === undefined) throw new ResourceNotFound(type.title, name);
    throw new Error(`resource type ${type.name} read '${name}' as ${typeof state}, not an object`);
  }
  return state as Record<string, unknown>;
}
