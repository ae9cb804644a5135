// A jobs API server on a test file's database, with one admin and one read-only token.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import { makeApiToken, type ApiToken } from '../../lib/services/http/apiTokens.ts';
import { buildServer, type ServerOptions } from '../../lib/services/http/server.ts';
import { ListLogger } from '../../lib/services/scripts/logger.ts';

export interface TestApi {
  app: FastifyInstance;
  logger: ListLogger;
  /** Bearer tokens, by scope. */
  adminToken: string;
  readOnlyToken: string;
  tokens: ApiToken[];
  /** Authorization headers, by scope. */
  asAdmin: { authorization: string };
  asReader: { authorization: string };
}

export async function makeTestApi(dataSource: DataSource, options: Partial<ServerOptions> = {}): Promise<TestApi> {
  const adminToken = `adm-${randomBytes(16).toString('hex')}`;
  const readOnlyToken = `ro-${randomBytes(16).toString('hex')}`;
  const tokens = [makeApiToken('ops', 'admin', adminToken), makeApiToken('grafana', 'read-only', readOnlyToken)];
  const logger = new ListLogger();
  const app = await buildServer({ dataSource, tokens, logger, ...options });
  return {
    app,
    logger,
    adminToken,
    readOnlyToken,
    tokens,
    asAdmin: { authorization: `Bearer ${adminToken}` },
    asReader: { authorization: `Bearer ${readOnlyToken}` },
  };
}
