// A jobs API server on a test file's database, with one admin and one read-only token.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../lib/services/config/loadConfig.ts';
import { makeApiToken, type ApiToken } from '../../lib/services/http/apiTokens.ts';
import { buildServer, type ServerOptions } from '../../lib/services/http/server.ts';
import { ListLogger } from '../../lib/services/scripts/logger.ts';
import type { TestDatabase } from './database.ts';

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

export async function makeTestApi(db: TestDatabase, options: Partial<ServerOptions> = {}): Promise<TestApi> {
  const adminToken = `adm-${randomBytes(16).toString('hex')}`;
  const readOnlyToken = `ro-${randomBytes(16).toString('hex')}`;
  const tokens = [makeApiToken('ops', 'admin', adminToken), makeApiToken('grafana', 'read-only', readOnlyToken)];
  const logger = new ListLogger();
  const app = await buildServer({ dataSource: db.admin, tokens, logger, config: loadConfig(db.configFile), errorDir: db.errorDir, ...options });
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
