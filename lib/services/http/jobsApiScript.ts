import type { FastifyInstance } from 'fastify';
import type { Argv } from 'yargs';
import { withDatabaseClient } from '../database/databaseClient.ts';
import { resolveDatabase } from '../database/databaseUrl.ts';
import { requireCurrentSchema } from '../database/requireCurrentSchema.ts';
import { CronScript, UsageError } from '../scripts/cronScript.ts';
import { readApiConfig, type ApiConfig } from './apiConfig.ts';

/** Errors of listen() that are the operator's to fix (the address), not the program's. */
const ADDRESS_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is in use (another server is listening there); choose another with --port or [jobs_api] port',
  EADDRNOTAVAIL: 'this host has no such address; choose another with --host or [jobs_api] host',
  EACCES: 'permission denied (ports below 1024 need privileges); choose another with --port or [jobs_api] port',
};

/** app.listen(), with an address that cannot be taken as one line of bad input (exit 2). */
async function listenOn(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (thrown) {
    const why = ADDRESS_ERRORS[(thrown as { code?: string }).code ?? ''];
    if (!why) throw thrown;
    await app.close().catch(() => undefined);
    throw new UsageError(`cannot listen on ${host}:${port}: ${why}`);
  }
}

/**
 * `cronscripts/jobs-api.ts [--host H] [--port P]`: the HTTP jobs API, status page and /metrics,
 * long-running, on [jobs_api] host and port (127.0.0.1:8085 by default). SIGTERM or SIGINT:
 * stop accepting, let requests in flight finish, close the database pool, exit 143 (130).
 */
export class JobsApiScript extends CronScript {
  readonly scriptName = 'jobs-api';
  /** The address it listens on once started (its start-up line says it too). */
  address: string | undefined;

  protected override usage(): string {
    return '$0 [--host HOST] [--port PORT]';
  }

  protected override description(): string {
    return 'Serve the HTTP jobs API (JSON, OpenAPI at /openapi.json), the status page (/) and Prometheus metrics (/metrics) on [jobs_api] host and port, until SIGTERM: then stop accepting, finish the requests in flight, close the database pool and exit 143. Bearer tokens come from [jobs_api] tokens (read from files or environment variables; never logged).';
  }

  protected override defineOptions(argv: Argv): Argv {
    return argv
      .option('host', { type: 'string', description: 'Listen on this address instead of [jobs_api] host' })
      .option('port', { type: 'number', description: 'Listen on this port instead of [jobs_api] port (0: any free port)' });
  }

  /** Not exclusive: two servers on two ports may run on one host (the port itself is exclusive). */
  protected override lockName(): string {
    return `jobs-api-${process.pid}`;
  }

  protected override reporterName(): string {
    return 'jobs-api';
  }

  get apiConfig(): ApiConfig {
    const read = readApiConfig(this.config);
    const port = this.args.port === undefined ? read.port : Number(this.args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be from 0 to 65535, not ${String(this.args.port)}`);
    return { ...read, host: (this.args.host as string | undefined) ?? read.host, port };
  }

  /** The config, its tokens and the options, before the lock and the database. */
  protected override checkInput(): void {
    void this.apiConfig;
  }

  override async main(): Promise<void> {
    const api = this.apiConfig;
    const database = await resolveDatabase(this.config);
    await withDatabaseClient(database.url, (client) => requireCurrentSchema(client, database));
    const [{ openDataSource }, { buildServer }] = await Promise.all([import('../database/dataSource.ts'), import('./server.ts')]);
    const dataSource = await openDataSource(database.url, { applicationName: 'jobsystem jobs-api', poolSize: api.poolSize });
    try {
      const app = await buildServer({ dataSource, tokens: api.tokens, logger: this.logger, config: this.config, bodyLimit: api.bodyLimit, maxPageSize: api.maxPageSize, listenUrl: database.listenUrl ?? null });
      const stopped = new Promise<NodeJS.Signals>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => resolve(signal);
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
      this.address = await listenOn(app, api.host, api.port);
      this.logger.info(`Jobs API listening on ${this.address} (${api.tokens.map((token) => `${token.name}: ${token.scope}`).join(', ')}).`);
      const signal = await stopped;
      this.interruptedBy = signal;
      this.logger.info(`Received ${signal}: finishing the requests in flight, then stopping.`);
      await app.close();
    } finally {
      await dataSource.destroy().catch(() => undefined);
    }
    this.logger.info('Jobs API stopped.');
  }
}
