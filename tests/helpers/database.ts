// Each test file gets its own database, cloned from a template that has schema.sql applied.
// The server is the embedded PostgreSQL unless TEST_DATABASE_URL names another one.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { applySchema, schemaHash } from '../../lib/services/database/applySchema.ts';
import { openDataSource } from '../../lib/services/database/dataSource.ts';
import { withDatabaseClient } from '../../lib/services/database/databaseClient.ts';
import { ensureEmbeddedPostgres } from '../../lib/services/database/embeddedPostgres.ts';
import { embeddedOptions, withDatabase } from '../../lib/services/database/databaseUrl.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../lib/services/config/loadConfig.ts';
import { fromRoot } from '../../lib/services/paths.ts';

export interface TestDatabase {
  /** Superuser URL of this file's database. */
  url: string;
  name: string;
  /** A folder of this database's own: config file, OOPS reports, lock files. */
  dir: string;
  /** The instance config file (extends config/testrunner.ini) pointing at this database. */
  configFile: string;
  errorDir: string;
  lockDir: string;
  /** A superuser DataSource on this database, for arranging and checking. */
  admin: DataSource;
  drop(): Promise<void>;
}

const STARTING_CONFIG = process.env.JOBS_CONFIG || fromRoot(DEFAULT_CONFIG_FILE);

/** The server's maintenance database URL. */
export async function serverUrl(): Promise<string> {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  // The embedded cluster of the configuration the tests were started with (JOBS_CONFIG or
  // config/development.ini), before this file points JOBS_CONFIG at its own database.
  return ensureEmbeddedPostgres(embeddedOptions(loadConfig(STARTING_CONFIG)));
}

const TEMPLATE_LOCK = 4_242_002;

/** The template database for this version of schema.sql, made once per server. */
async function templateName(server: string): Promise<string> {
  const name = `jobsystem_template_${schemaHash().slice(0, 12)}`;
  await withDatabaseClient(server, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) {
        const building = `${name}_building`;
        await client.query(`DROP DATABASE IF EXISTS ${building}`);
        await client.query(`CREATE DATABASE ${building}`);
        await applySchema(withDatabase(server, building));
        await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
  return name;
}

export interface TestDatabaseOptions {
  /** An empty database (no schema.sql), for tests that apply a schema themselves. */
  empty?: boolean;
  /** The role that owns the database (it must exist); default: the server URL's user. */
  owner?: string;
}

/** A fresh database for one test file, with its config file; drop() removes both. */
export async function createTestDatabase(label: string, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = await serverUrl();
  const template = options.empty ? 'template0' : await templateName(server);
  const name = `test_${label.replace(/\W/g, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const owner = options.owner ? ` OWNER ${options.owner}` : '';
  await withDatabaseClient(server, async (client) => {
    // CREATE DATABASE ... TEMPLATE fails while anyone else copies the template: retry.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}${owner}`);
        return;
      } catch (error) {
        if (attempt > 50 || (error as { code?: string }).code !== '55006') throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  const url = withDatabase(server, name);
  const dir = fromRoot(join('var', 'tests', name));
  const errorDir = join(dir, 'oops');
  const lockDir = join(dir, 'lock');
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'test.ini');
  writeFileSync(
    configFile,
    [
      '[meta]',
      `extends: ${fromRoot('config/testrunner.ini')}`,
      '',
      '[database]',
      `url: ${url}`,
      '',
      '[error_reports]',
      `error_dir: ${errorDir}`,
      '',
      '[scripts]',
      `lock_dir: ${lockDir}`,
      '',
    ].join('\n'),
  );
  const admin = await openDataSource(url, { poolSize: 4 });
  return {
    url,
    name,
    dir,
    configFile,
    errorDir,
    lockDir,
    admin,
    async drop() {
      await admin.destroy().catch(() => undefined);
      await withDatabaseClient(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
