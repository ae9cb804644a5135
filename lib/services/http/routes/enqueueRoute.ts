import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { selectJobSummary } from '../../admin/sql/selectJobSummary.ts';
import { redactSecrets } from '../../oops/redact.ts';
import type { KnownResourceJob } from '../../resources/knownResourceJobs.ts';
import { createJob } from '../../tasks/createJob.ts';
import { withClient } from '../withClient.ts';
import type { JobRoutesOptions } from './jobRoutesOptions.ts';
import { CREATED_JOB, ERRORS, REFUSED_JOB } from './jobSchemas.ts';

const COMMON = {
  queue: { type: 'string', minLength: 1, maxLength: 200, default: 'default' },
  priority: { type: 'integer', minimum: -2_147_483_648, maximum: 2_147_483_647, default: 0 },
  scheduledStart: { type: 'string', format: 'date-time', description: 'Not run before this time' },
};

interface CommonBody {
  name: string;
  queue: string;
  priority: number;
  scheduledStart?: string;
}

/** The body schema of a multi-step job name: its initial workspace. */
function taskBodySchema(name: string, workspaceSchema: unknown) {
  return { type: 'object', title: name, additionalProperties: false, required: ['name'], properties: { name: { const: name }, workspace: workspaceSchema ?? { type: 'object' }, ...COMMON } };
}

/** The body schema of a job class on a resource: the resource's name and the class's arguments. */
function resourceBodySchema(known: KnownResourceJob) {
  const { jobClass } = known;
  return {
    type: 'object',
    title: known.name,
    description: `A job on a ${jobClass.resourceType.title} (${jobClass.resourceOptions.join(', ') || 'no options'}), run by [${known.section}]`,
    additionalProperties: false,
    required: ['name', 'resourceName'],
    properties: {
      name: { const: known.name },
      resourceName: { type: 'string', minLength: 1, maxLength: 200, description: `The ${jobClass.resourceType.title}'s name` },
      // Absent is {}: checked by the schema like any other arguments.
      args: { ...jobClass.argsSchema, default: {} },
      ...COMMON,
    },
  };
}

/**
 * POST /jobs: enqueue a job by name. A multi-step job name creates a job through create_job's
 * path (its creation hook); a job class on a resource (a ResourceJobSource of the config, such
 * as the instance jobs) enqueues through its prediction: a job on a resource predicted missing
 * is answered 404 with ResourceNotFound's message, a job that only creates a resource that
 * exists 409, each with the id of the refused job (recorded FAILED, never run). The body is
 * validated against the schema of the name it names (a discriminator on `name`), and
 * /openapi.json lists one per name. An unknown name is refused first, listing the known ones.
 */
export function registerEnqueueRoute(app: FastifyInstance, options: JobRoutesOptions): void {
  for (const name of options.taskJobs.keys()) {
    if (options.resourceJobs.has(name)) throw new Error(`job name '${name}' is both a multi-step job (section [${options.taskJobs.get(name)!.servedBy[0]!.section}]) and a job on a resource (section [${options.resourceJobs.get(name)!.section}]); rename one`);
  }
  const names = [...options.taskJobs.keys(), ...options.resourceJobs.keys()].sort();
  const perName = names.map((name) => {
    const resourceJob = options.resourceJobs.get(name);
    return resourceJob ? resourceBodySchema(resourceJob) : taskBodySchema(name, options.taskJobs.get(name)!.jobs.definition(name)?.workspaceSchema);
  });
  const known = names.length > 0 ? names.join(', ') : 'none (no job section of the config runs multi-step jobs or jobs on resources)';
  app.post('/jobs', {
    config: { access: 'admin' },
    schema: {
      summary: 'Enqueue a job by name: a multi-step job with its initial workspace, or a job on a resource (404 when the resource is predicted missing, 409 when a create finds it exists)',
      tags: ['jobs'],
      body: names.length > 0
        ? { type: 'object', required: ['name'], discriminator: { propertyName: 'name' }, oneOf: perName }
        : { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      response: { 201: CREATED_JOB, ...ERRORS, 404: REFUSED_JOB, 409: REFUSED_JOB },
    },
    // Before the schema: an unknown name gets a message that lists the known ones.
    preValidation: async (request, reply) => {
      const name = (request.body as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || !(options.taskJobs.has(name) || options.resourceJobs.has(name))) {
        const what = typeof name === 'string' ? `unknown job name '${name}'` : 'the body must name a job: {"name": "<job name>", ...}';
        return reply.code(400).send({ error: 'Bad Request', message: `${what}; known job names: ${known}` });
      }
    },
  }, async (request, reply) => {
    const body = request.body as CommonBody;
    const resourceJob = options.resourceJobs.get(body.name);
    return resourceJob ? enqueueOnResource(options, resourceJob, request, reply) : createTaskJob(options, request, reply);
  });
}

async function createTaskJob(options: JobRoutesOptions, request: FastifyRequest, reply: FastifyReply) {
  const body = request.body as CommonBody & { workspace?: Record<string, unknown> };
  const { jobs } = options.taskJobs.get(body.name)!;
  const created = await createJob(options.dataSource.manager, jobs, body.name, {
    workspace: body.workspace ?? {},
    queueName: body.queue,
    priority: body.priority,
    ...(body.scheduledStart ? { scheduledStart: new Date(body.scheduledStart) } : {}),
  });
  options.logger.info(`api:${request.apiToken!.name} created job ${created.id} (${body.name}) in queue ${body.queue}.`);
  const summary = await withClient(options.dataSource, (client) => selectJobSummary(client, created.id));
  reply.code(201);
  return { job: summary, workspace: created.workspace ?? {} };
}

async function enqueueOnResource(options: JobRoutesOptions, known: KnownResourceJob, request: FastifyRequest, reply: FastifyReply) {
  const body = request.body as CommonBody & { resourceName: string; args?: Record<string, unknown> };
  const who = `api:${request.apiToken!.name}`;
  const enqueued = await known.jobClass.enqueue(options.dataSource.manager, body.resourceName, body.args ?? {}, {
    queueName: body.queue,
    priority: body.priority,
    requester: who,
    ...(body.scheduledStart ? { scheduledStart: new Date(body.scheduledStart) } : {}),
  });
  const id = enqueued.job.id;
  const summary = await withClient(options.dataSource, (client) => selectJobSummary(client, id));
  const what = `job ${id} (${body.name}) on ${known.jobClass.resourceType.name} '${body.resourceName}'`;
  if (enqueued.refused) {
    options.logger.info(redactSecrets(`${who} enqueued ${what}, refused: ${enqueued.refused.message}`));
    const status = enqueued.refused.httpStatus;
    reply.code(status);
    return { error: status === 404 ? 'Not Found' : 'Conflict', message: redactSecrets(enqueued.refused.message), jobId: id, job: summary };
  }
  options.logger.info(redactSecrets(`${who} enqueued ${what} in queue ${body.queue}.`));
  reply.code(201);
  return { job: summary, predictedExists: enqueued.predictedExists, ...(enqueued.decidedBy === undefined ? {} : { decidedBy: enqueued.decidedBy }) };
}
