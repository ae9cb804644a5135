import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import type { Clock } from '../../clock.ts';
import { fromRoot } from '../../paths.ts';
import { JobMetrics } from '../metrics.ts';
import { renderStatusFragment } from '../statusFragment.ts';
import { sharedSnapshots, takeStatusSnapshot } from '../statusSnapshot.ts';

/** The page's shell, script and style: served as they are, no build step. */
const STATIC = {
  '/': { file: 'status.html', type: 'text/html; charset=utf-8' },
  '/status.js': { file: 'status.js', type: 'text/javascript; charset=utf-8' },
  '/status.css': { file: 'status.css', type: 'text/css; charset=utf-8' },
} as const;

/** The page loads nothing but its own script and style, and talks to this server only. */
const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** How many recent failures and waiting jobs the page lists. */
const PAGE_LIST_LIMIT = 20;

export interface StatusRoutesOptions {
  dataSource: DataSource;
  clock: Clock;
}

/**
 * The status page (a public shell whose script asks for a token, then loads the
 * server-rendered /status/fragment with it) and /metrics. Both read one StatusSnapshot at
 * request time; concurrent requests share the read in flight.
 */
export function registerStatusRoutes(app: FastifyInstance, options: StatusRoutesOptions): void {
  for (const [path, { file, type }] of Object.entries(STATIC)) {
    const body = readFileSync(fromRoot(`lib/services/http/static/${file}`), 'utf8');
    app.get(path, { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
      reply.header('Content-Security-Policy', PAGE_POLICY).header('X-Frame-Options', 'DENY').type(type);
      return body;
    });
  }

  // Browsers ask for it on their own, without the token: an empty answer, not a 401.
  app.get('/favicon.ico', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => reply.code(204).send());

  const pageSnapshot = sharedSnapshots(() => takeStatusSnapshot(options.dataSource, options.clock, PAGE_LIST_LIMIT));
  app.get('/status/fragment', {
    config: { access: 'read-only' },
    schema: {
      summary: 'The status page content as HTML (counts, oldest waiting, throughput chart, recent failures, oldest waiting jobs)',
      tags: ['status'],
      response: { 200: { description: 'An HTML fragment', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  }, async (request, reply) => {
    const snapshot = await pageSnapshot();
    reply.type('text/html; charset=utf-8');
    return renderStatusFragment(snapshot, request.apiToken!);
  });

  const metrics = new JobMetrics();
  const metricsSnapshot = sharedSnapshots(async () => {
    const started = performance.now();
    const snapshot = await takeStatusSnapshot(options.dataSource, options.clock, 0);
    metrics.set(snapshot, (performance.now() - started) / 1000);
    return snapshot;
  });
  app.get('/metrics', {
    config: { access: 'read-only' },
    schema: {
      summary: 'Prometheus metrics, read from the database at scrape time',
      tags: ['status'],
      response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  }, async (request, reply) => {
    await metricsSnapshot();
    reply.type(metrics.contentType());
    return metrics.text();
  });
}
