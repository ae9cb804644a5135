import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  cancelJob, changeJobStatus, listJobs, listOopsReports, pruneOldJobs, pruneOldOops, showJob, showOops, unservedJobTypes,
  BadAdminRequest, type JobAction, type Operator,
} from '../../admin/index.ts';
import { parseValue } from '../../config/datatypes.ts';
import { withClient } from '../withClient.ts';
import { registerEnqueueRoute } from './enqueueRoute.ts';
import type { JobRoutesOptions } from './jobRoutesOptions.ts';
import {
  ERRORS, JOB_ID_PARAMS, JOB_CHANGE, JOB_DETAILS, JOB_LISTING, OOPS_LISTING, OOPS_REPORT, PRUNE_REPORT, SHARED_SCHEMAS, STATUS_NAMES, UNSERVED_REPORT,
} from './jobSchemas.ts';


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
