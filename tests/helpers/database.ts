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

/** How long a test file waits, at most, for the server to let it make its database. */
const CREATE_DEADLINE_MS = 120_000;

/** The SQLSTATE of a failed statement, when it has one. */
function sqlState(error: unknown): string | undefined {
  return (error as { code?: string } | undefined)?.code;
}

/**
 * Run `statement` until it does not fail with 55006 (object in use), waiting longer after
 * each try (100 ms doubling to 2 s), for at most CREATE_DEADLINE_MS. PostgreSQL refuses to
 * copy or rename a database while another session is connected to it, after waiting 5 s
 * itself; on a busy machine a session that has just closed can take longer than that to
 * go away.
 */
async function whileInUse(what: string, statement: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + CREATE_DEADLINE_MS;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    try {
      await statement();
      return;
    } catch (error) {
      if (sqlState(error) !== '55006') throw error;
      if (Date.now() + wait > deadline) throw new Error(`${what}: still in use after ${CREATE_DEADLINE_MS / 1000}s`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** The template database for this version of schema.sql, made once per server. */
export async function templateName(server: string): Promise<string> {
  const name = `jobsystem_template_${schemaHash().slice(0, 12)}`;
  await withDatabaseClient(server, async (client) => {
    // One builder per server, whichever checkout or test file gets here first; the others
    // wait here and then find the template made.
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const found = await client.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) {
        const building = `${name}_building`;
        await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
        await client.query(`CREATE DATABASE ${building}`);
        await applySchema(withDatabase(server, building));
        // No session may connect to the template from now on: a connected session (a
        // stray psql, autovacuum, the applySchema connection still closing) is what makes
        // CREATE DATABASE ... TEMPLATE fail with "source database is being accessed".
        await client.query(`ALTER DATABASE ${building} WITH ALLOW_CONNECTIONS false`);
        await whileInUse(`renaming ${building}`, () => client.query(`ALTER DATABASE ${building} RENAME TO ${name}`));
        await client.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true`);
      } else if (found.rows[0]!.datallowconn) {
        // Made by an earlier version of this helper, which left connections allowed.
        await client.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
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

/**
 * A database name no other test file makes at the same time, on this machine or another
 * using the same server: the label, this process's id (unique among the processes running
 * on one machine) and 48 random bits (against another machine's process with the same id).
 */
function databaseName(label: string): string {
  const tag = label.replace(/\W/g, '_').toLowerCase().slice(0, 24);
  return `test_${tag}_${process.pid}_${randomBytes(6).toString('hex')}`;
}

/** A fresh database for one test file, with its config file; drop() removes both. */
export async function createTestDatabase(label: string, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = await serverUrl();
  const template = options.empty ? 'template0' : await templateName(server);
  let name = databaseName(label);
  const owner = options.owner ? ` OWNER ${options.owner}` : '';
  await withDatabaseClient(server, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await whileInUse(`copying ${template}`, () => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}${owner}`));
        return;
      } catch (error) {
        // Left behind by a run that was killed before it could drop it: take another name.
        if (sqlState(error) !== '42P04' || attempt === 3) throw error;
        name = databaseName(label);
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
