import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import type { SharedNotifyListener } from '../../notify/sharedListener.ts';
import { readJobOutcome } from '../../resources/jobOutcome.ts';
import type { Logger } from '../../scripts/logger.ts';
import { JobEventStream } from '../jobEventStream.ts';
import { ERRORS, JOB_ID_PARAMS } from './jobSchemas.ts';

export interface JobEventsRouteOptions {
  dataSource: DataSource;
  /** The server's one LISTEN connection; null: the route answers 503. */
  events: SharedNotifyListener | null;
  logger: Logger;
  pollMs?: number;
  keepAliveMs?: number;
}

const DESCRIPTION = `Server-Sent Events (text/event-stream) of one job: first \`state\` (the job now: status, result, error, times), then \`ready\`, \`start\`, \`error\`, \`success\` as they happen (events of jobs on resources; a job with no resource gets its end from a read of its row every few seconds). The stream ends after \`error\` or \`success\`, whose data is the job's outcome; for a job already finished, right after \`state\`. \`curl -N\` shows it.`;

/**
 * GET /jobs/:id/events: a job's events as Server-Sent Events, for read-only tokens. Every
 * stream of the server shares its one LISTEN connection (SharedNotifyListener). An unknown id
 * is 404 before the stream begins. The streams still open when the server stops are ended.
 */
export function registerJobEventsRoute(app: FastifyInstance, options: JobEventsRouteOptions): void {
  const open = new Set<JobEventStream>();
  app.addHook('preClose', async () => {
    for (const stream of [...open]) stream.close();
  });

  app.get('/jobs/:id/events', {
    config: { access: 'read-only' },
    schema: {
      summary: "A job's events as Server-Sent Events: state, then ready, start, error, success; ends after error or success",
      description: DESCRIPTION,
      tags: ['jobs'],
      params: JOB_ID_PARAMS,
      produces: ['text/event-stream'],
      response: {
        200: { description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...ERRORS,
        503: ERRORS[400],
      },
    },
  }, async (request, reply) => {
    const { id } = request.params as { id: number };
    if (!options.events) return reply.code(503).send({ error: 'Service Unavailable', message: 'job events need notifications, and this server has no connection to listen on ([database] listen_url)' });
    const lease = await options.events.acquire();
    // Subscribed before the row is read: an event between the read and the stream is held.
    const stream = new JobEventStream(id, lease, { manager: options.dataSource.manager, logger: options.logger, ...(options.pollMs ? { pollMs: options.pollMs } : {}), ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}) });
    let outcome;
    try {
      outcome = await readJobOutcome(options.dataSource.manager, id);
    } catch (error) {
      stream.close();
      throw error;
    }
    open.add(stream);
    stream.onClose(() => open.delete(stream));
    reply.hijack();
    stream.begin(reply.raw, outcome);
  });
}
