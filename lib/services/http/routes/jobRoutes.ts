import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import {
  cancelJob, changeJobStatus, listJobs, listOopsReports, pruneOldJobs, pruneOldOops, showJob, showOops, unservedJobTypes,
  BadAdminRequest, type JobAction, type Operator,
} from '../../admin/index.ts';
import { selectJobSummary } from '../../admin/sql/selectJobSummary.ts';
import { parseValue } from '../../config/datatypes.ts';
import type { Config } from '../../config/loadConfig.ts';
import type { Logger } from '../../scripts/logger.ts';
import { createJob } from '../../tasks/createJob.ts';
import type { KnownTaskJob } from '../../tasks/knownTaskJobs.ts';
import { ERROR_SCHEMA } from '../errorSchema.ts';
import {
  CREATED_JOB, JOB_CHANGE, JOB_DETAILS, JOB_LISTING, OOPS_LISTING, OOPS_REPORT, PRUNE_REPORT, SHARED_SCHEMAS, STATUS_NAMES, UNSERVED_REPORT,
} from './jobSchemas.ts';

export interface JobRoutesOptions {
  dataSource: DataSource;
  /** The instance config: its job sections say which job types are served (GET /job-types/unserved). */
  config: Config;
  /** [error_reports] error_dir: where GET /oops reads. */
  errorDir: string;
  /** The multi-step job names POST /jobs may create (knownTaskJobs of the config). */
  taskJobs: ReadonlyMap<string, KnownTaskJob>;
  /** The largest page of GET /jobs. */
  maxPageSize: number;
  logger: Logger;
}

/** The pool under the DataSource: the admin service layer works on plain pg clients. */
async function withClient<T>(dataSource: DataSource, use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await use(client);
  } catch (error) {
    // A connection that failed mid-statement is not given back to the pool.
    if ((error as { code?: string }).code === undefined && /connection|terminat/i.test((error as Error).message)) broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}

const ERRORS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA } as const;
const JOB_ID_PARAMS = { type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991 } }, required: ['id'], additionalProperties: false } as const;
const DURATION = { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)?$', description: 'A duration such as 30d, 12h, 90m; a bare number is seconds' } as const;

function durationMs(text: string): number {
  const parsed = parseValue('duration', text);
  if (typeof parsed !== 'number') throw new BadAdminRequest(`'${text}' is not a duration such as 30d or 12h`);
  return parsed;
}

/** A comma-separated query parameter as a list (undefined when absent). */
function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((item) => item.trim()).filter(Boolean);
}

/**
 * The JSON jobs API on the admin service layer (lib/services/admin/), the same functions that
 * cronscripts/jobs.ts calls: reads for read-only tokens, changes for admin tokens, each change
 * made and logged (admin_log) as `api:<token name>`.
 */
export function registerJobRoutes(app: FastifyInstance, options: JobRoutesOptions): void {
  const { dataSource, logger } = options;
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  const operator = (request: FastifyRequest): Operator => ({ name: `api:${request.apiToken!.name}`, log: (line) => logger.info(line) });

  app.get('/jobs', {
    config: { access: 'read-only' },
    schema: {
      summary: 'List jobs, newest first (or oldest first), one page at a time by id',
      tags: ['jobs'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'string', description: `Comma-separated: ${STATUS_NAMES.join(', ')}, or the states NEW, READY, PROCESSING` },
          type: { type: 'string', description: 'Comma-separated job types' },
          queue: { type: 'string', description: 'Comma-separated queue names' },
          resourceType: { type: 'string' },
          resourceName: { type: 'string' },
          createdBefore: { type: 'string', format: 'date-time' },
          createdAfter: { type: 'string', format: 'date-time' },
          afterId: { type: 'integer', minimum: 0, description: "The previous page's nextAfterId" },
          limit: { type: 'integer', minimum: 1, maximum: options.maxPageSize, default: 50 },
          order: { type: 'string', enum: ['desc', 'asc'], default: 'desc' },
        },
      },
      response: { 200: JOB_LISTING, ...ERRORS },
    },
  }, async (request) => {
    const q = request.query as Record<string, string | number | undefined>;
    const filters = {
      ...(q.status !== undefined ? { status: list(String(q.status)) } : {}),
      ...(q.type !== undefined ? { jobType: list(String(q.type)) } : {}),
      ...(q.queue !== undefined ? { queue: list(String(q.queue)) } : {}),
      ...(q.resourceType !== undefined ? { resourceType: String(q.resourceType) } : {}),
      ...(q.resourceName !== undefined ? { resourceName: String(q.resourceName) } : {}),
      ...(q.createdBefore !== undefined ? { createdBefore: String(q.createdBefore) } : {}),
      ...(q.createdAfter !== undefined ? { createdAfter: String(q.createdAfter) } : {}),
    };
    const page = { limit: Number(q.limit), order: q.order as 'asc' | 'desc', ...(q.afterId !== undefined ? { afterId: Number(q.afterId) } : {}) };
    return withClient(dataSource, (client) => listJobs(client, filters, page));
  });

  app.get('/jobs/:id', {
    config: { access: 'read-only' },
    schema: { summary: 'One job: its row, domain rows, workspace, result, error, OOPS and operator history', tags: ['jobs'], params: JOB_ID_PARAMS, response: { 200: JOB_DETAILS, ...ERRORS } },
  }, async (request) => withClient(dataSource, (client) => showJob(client, (request.params as { id: number }).id, { errorDir: options.errorDir })));

  const actions: Array<[JobAction, string]> = [
    ['retry', 'FAILED -> WAITING: run it again, ready at once'],
    ['suspend', 'WAITING -> SUSPENDED: no runner takes it until resumed'],
    ['resume', 'SUSPENDED -> WAITING'],
    ['cancel', 'WAITING or SUSPENDED -> FAILED, with a reason'],
  ];
  for (const [action, summary] of actions) {
    app.post(`/jobs/:id/${action}`, {
      config: { access: 'admin' },
      schema: {
        summary,
        tags: ['jobs'],
        params: JOB_ID_PARAMS,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: action === 'cancel' ? { reason: { type: 'string', minLength: 1, maxLength: 500 } } : {},
        },
        response: { 200: JOB_CHANGE, ...ERRORS },
      },
    }, async (request) => {
      const { id } = request.params as { id: number };
      const reason = (request.body as { reason?: string } | null)?.reason ?? 'no reason given';
      return withClient(dataSource, (client) => action === 'cancel' ? cancelJob(client, id, operator(request), reason) : changeJobStatus(client, action, id, operator(request)));
    });
  }

  app.post('/prune', {
    config: { access: 'admin' },
    schema: {
      summary: "Delete COMPLETED and FAILED jobs older than olderThan (delete_old_jobs' pruning), in batches",
      tags: ['jobs'],
      body: { type: 'object', additionalProperties: false, required: ['olderThan'], properties: { olderThan: DURATION } },
      response: { 200: PRUNE_REPORT, ...ERRORS },
    },
  }, async (request) => {
    const olderThanMs = durationMs((request.body as { olderThan: string }).olderThan);
    return withClient(dataSource, (client) => pruneOldJobs(client, { olderThanMs }, operator(request)));
  });

  app.get('/job-types/unserved', {
    config: { access: 'read-only' },
    schema: { summary: 'WAITING jobs whose job type no job section of the config runs, per type', tags: ['jobs'], response: { 200: UNSERVED_REPORT, ...ERRORS } },
  }, async () => withClient(dataSource, (client) => unservedJobTypes(client, options.config)));

  app.get('/oops', {
    config: { access: 'read-only' },
    schema: {
      summary: 'OOPS reports, newest first',
      tags: ['oops'],
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 }, beforeId: { type: 'string', pattern: '^OOPS-[0-9A-Za-z]+$' } } },
      response: { 200: OOPS_LISTING, ...ERRORS },
    },
  }, async (request) => {
    const q = request.query as { limit: number; beforeId?: string };
    return listOopsReports(options.errorDir, { limit: q.limit, ...(q.beforeId ? { beforeId: q.beforeId } : {}) });
  });

  app.get('/oops/:id', {
    config: { access: 'read-only' },
    schema: {
      summary: 'One OOPS report',
      tags: ['oops'],
      params: { type: 'object', properties: { id: { type: 'string', pattern: '^OOPS-[0-9A-Za-z]+$' } }, required: ['id'] },
      response: { 200: OOPS_REPORT, ...ERRORS },
    },
  }, async (request) => showOops(options.errorDir, (request.params as { id: string }).id));

  app.post('/oops/prune', {
    config: { access: 'admin' },
    schema: {
      summary: 'Delete the OOPS reports filed more than olderThan ago',
      tags: ['oops'],
      body: { type: 'object', additionalProperties: false, required: ['olderThan'], properties: { olderThan: DURATION } },
      response: { 200: PRUNE_REPORT, ...ERRORS },
    },
  }, async (request) => {
    const olderThanMs = durationMs((request.body as { olderThan: string }).olderThan);
    return withClient(dataSource, (client) => pruneOldOops(client, options.errorDir, olderThanMs, operator(request)));
  });

  registerEnqueueRoute(app, options);
}

/**
 * POST /jobs: create a multi-step job by name (the create_job path, with its creation hook).
 * The body is validated against the schema of the job name it names (its definition's
 * workspaceSchema), chosen by `name` (a discriminator): /openapi.json lists one per name. An
 * unknown name is refused before that, listing the known ones.
 */
function registerEnqueueRoute(app: FastifyInstance, options: JobRoutesOptions): void {
  const names = [...options.taskJobs.keys()].sort();
  const common = {
    queue: { type: 'string', minLength: 1, maxLength: 200, default: 'default' },
    priority: { type: 'integer', minimum: -2_147_483_648, maximum: 2_147_483_647, default: 0 },
    scheduledStart: { type: 'string', format: 'date-time', description: 'Not run before this time' },
  };
  const perName = names.map((name) => ({
    type: 'object',
    title: name,
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { const: name },
      workspace: options.taskJobs.get(name)!.jobs.definition(name)?.workspaceSchema ?? { type: 'object' },
      ...common,
    },
  }));
  const known = names.length > 0 ? names.join(', ') : 'none (no job section of the config runs multi-step jobs)';
  app.post('/jobs', {
    config: { access: 'admin' },
    schema: {
      summary: 'Create a multi-step job by name, with its initial workspace (validated by the schema of that name)',
      tags: ['jobs'],
      body: names.length > 0
        ? { type: 'object', required: ['name'], discriminator: { propertyName: 'name' }, oneOf: perName }
        : { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      response: { 201: CREATED_JOB, ...ERRORS },
    },
    // Before the schema: an unknown name gets a message that lists the known ones.
    preValidation: async (request, reply) => {
      const name = (request.body as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || !options.taskJobs.has(name)) {
        const what = typeof name === 'string' ? `unknown job name '${name}'` : 'the body must name a job: {"name": "<job name>", "workspace": {...}}';
        return reply.code(400).send({ error: 'Bad Request', message: `${what}; known job names: ${known}` });
      }
    },
  }, async (request, reply) => {
    const body = request.body as { name: string; workspace?: Record<string, unknown>; queue: string; priority: number; scheduledStart?: string };
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
  });
}
