import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/loadConfig.ts';
import { knownTaskJobs, type KnownTaskJob } from '../tasks/knownTaskJobs.ts';
import { knownResourceJobs, type KnownResourceJob } from '../resources/knownResourceJobs.ts';
import { systemClock, type Clock } from '../clock.ts';
import { toError } from '../job/interfaces/errors.ts';
import { redactSecrets } from '../oops/redact.ts';
import type { Logger } from '../scripts/logger.ts';
import { bearerToken, matchToken, type ApiToken, type Scope } from './apiTokens.ts';
import { httpStatusOf } from './httpErrors.ts';
import { SharedNotifyListener } from '../notify/sharedListener.ts';
import { registerJobEventsRoute } from './routes/jobEventsRoute.ts';
import { registerJobRoutes } from './routes/jobRoutes.ts';
import { registerResourceRoutes } from './routes/resourceRoutes.ts';
import { registerStatusRoutes } from './routes/statusRoutes.ts';
import { requestValidators } from './validators.ts';

/** Who may call a route: anyone (the page's shell, /openapi.json), or a token of this scope. */
export type RouteAccess = 'public' | Scope;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Unset means admin: a route forgotten here is closed, not open. */
    access?: RouteAccess;
  }
  interface FastifyInstance {
    /** The LISTEN connection the event streams and waiting reads share (null: none). */
    jobEvents: SharedNotifyListener | null;
  }
  interface FastifyRequest {
    /** The token the request was authenticated with (undefined on public routes). */
    apiToken?: ApiToken;
  }
}

export interface ServerOptions {
  /** Where the server reads and changes jobs. */
  dataSource: DataSource;
  tokens: readonly ApiToken[];
  logger: Logger;
  /** The instance config: its job sections (served job types, multi-step job names). */
  config: Config;
  /** [error_reports] error_dir of the config, unless given. */
  errorDir?: string;
  /** The job names POST /jobs may create; default: knownTaskJobs(config). */
  taskJobs?: ReadonlyMap<string, KnownTaskJob>;
  /** The job classes on resources POST /jobs may enqueue; default: knownResourceJobs(config). */
  resourceJobs?: ReadonlyMap<string, KnownResourceJob>;
  /** The largest page of GET /jobs (default 500). */
  maxPageSize?: number;
  /** The largest request body, in bytes (default 65,536): a larger one is answered 413. */
  bodyLimit?: number;
  clock?: Clock;
  /** Where the job event streams and waiting resource reads LISTEN (one connection, shared,
   * open while any of them is): default the DataSource's URL; null when there is none (behind
   * a transaction-mode pooler with no [database] listen_url), and those routes answer 503. */
  listenUrl?: string | null;
  /** How often an event stream reads its job's row again (default 5 s). */
  eventPollMs?: number;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error', 503: 'Service Unavailable' };

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  // A message may quote the request (its path, a value): tokens and passwords are masked.
  return reply.code(status).type('application/json; charset=utf-8').send({ error: REASONS[status] ?? 'Error', message: redactSecrets(message) });
}

/**
 * The bearer-token check, before anything else of the request is read. No token or an unknown
 * one: 401 (with WWW-Authenticate); a read-only token on an admin route: 403.
 */
function authenticate(tokens: readonly ApiToken[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    // An unknown path answers 404 to any valid token, and 401 to everyone else.
    const access: RouteAccess = request.is404 ? 'read-only' : (request.routeOptions.config.access ?? 'admin');
    if (access === 'public') return;
    const presented = bearerToken(request.headers.authorization);
    const token = presented === undefined ? undefined : matchToken(presented, tokens);
    if (!token) {
      reply.header('WWW-Authenticate', 'Bearer realm="jobsystem"');
      return sendError(reply, 401, presented === undefined ? 'send a token: Authorization: Bearer <token>' : 'the token is not valid');
    }
    request.apiToken = token;
    if (access === 'admin' && token.scope !== 'admin') return sendError(reply, 403, `this route needs an admin token; ${token.name} is ${token.scope}`);
  };
}

/**
 * The HTTP jobs API, status page and /metrics as a Fastify instance, not yet listening: tests
 * call inject() or listen on 127.0.0.1:0; cronscripts/jobs-api.ts listens on the configured
 * address. Every route declares its JSON schemas (validated on the way in, used to serialise
 * on the way out, so a field not in the schema never leaves) and they make /openapi.json.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const logger = options.logger;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 65_536,
    return503OnClosing: true,
  });
  app.setValidatorCompiler(requestValidators());
  app.decorateRequest('apiToken', undefined);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'jobsystem jobs API', version: '1', description: "List, inspect, retry, suspend, resume, cancel and enqueue jobs; follow a job's events (Server-Sent Events); read resources; read OOPS reports; prune history. Every route but /, /status.js, /status.css and /openapi.json needs Authorization: Bearer <token>; changes need an admin token." },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.addHook('onRequest', authenticate(options.tokens));
  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
  });
  // One line per request at debug level (-v): method, path, status, time and the token's name,
  // never a header; tokens and passwords in the path or query are masked here, whatever the
  // logger does.
  app.addHook('onResponse', async (request, reply) => {
    logger.debug(`${request.method} ${redactSecrets(request.url)} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)}ms${request.apiToken ? ` (${request.apiToken.name})` : ''}`);
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}`));
  app.setErrorHandler((thrown: FastifyError, request, reply) => {
    const error = toError(thrown) as FastifyError;
    const status = httpStatusOf(error);
    if (status < 500) return sendError(reply, status, error.message);
    // Unexpected: logged (redacted) for the operator; the client learns nothing of its text,
    // which may name a database, a file or a query.
    logger.error(`${request.method} ${request.url.split('?')[0]} failed: ${redactSecrets(`${error.name}: ${error.message}`)}`);
    return sendError(reply, status, status === 503 ? 'the server is shutting down or the database is unavailable; try again' : 'the server failed; its log says why');
  });

  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  const clock = options.clock ?? systemClock;
  registerStatusRoutes(app, { dataSource: options.dataSource, clock });
  registerJobRoutes(app, {
    dataSource: options.dataSource,
    config: options.config,
    errorDir: options.errorDir ?? options.config.section('error_reports').string('error_dir'),
    taskJobs: options.taskJobs ?? (await knownTaskJobs(options.config, logger)),
    resourceJobs: options.resourceJobs ?? (await knownResourceJobs(options.config, logger)),
    maxPageSize: options.maxPageSize ?? 500,
    logger,
  });
  const listenUrl = options.listenUrl === undefined ? (options.dataSource.options as { url?: string }).url : options.listenUrl;
  const events = listenUrl ? new SharedNotifyListener({ url: listenUrl, logger, applicationName: 'jobsystem jobs-api events' }) : null;
  app.decorate('jobEvents', events);
  app.addHook('onClose', async () => events?.close());
  registerJobEventsRoute(app, { dataSource: options.dataSource, events, logger, ...(options.eventPollMs ? { pollMs: options.eventPollMs } : {}) });
  registerResourceRoutes(app, { dataSource: options.dataSource, events });
  return app;
}
