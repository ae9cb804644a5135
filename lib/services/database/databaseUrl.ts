import { ConfigError } from '../config/errors.ts';
import type { Config } from '../config/loadConfig.ts';
import { withDatabaseClient } from './databaseClient.ts';
import { ensureEmbeddedPostgres, type EmbeddedOptions } from './embeddedPostgres.ts';
import { databasePooler, type Pooler } from './pooler.ts';

export { describeUrl } from './describeUrl.ts';

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function embeddedOptions(config: Config): EmbeddedOptions & { database: string } {
  const section = config.section('database');
  return {
    dataDir: section.string('embedded_data_dir'),
    port: section.integer('embedded_port'),
    database: section.string('embedded_database'),
  };
}

/** Create `name` in the embedded cluster unless it exists (two processes may race: fine). */
async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  await withDatabaseClient(adminUrl, async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // duplicate_database: another process won
      });
    }
  });
}

export interface ResolvedDatabase {
  url: string;
  /** True for the embedded PostgreSQL (no URL configured): scripts may apply schema.sql on
   * the fly there; a configured database is upgraded only by the explicit command. */
  embedded: boolean;
  /** What `url` reaches: the server, or a pooler in session or transaction mode. */
  pooler: Pooler;
  /** Where a long-running worker LISTENs: [database] listen_url (a direct connection to the
   * server, past a transaction-mode pooler), else `url`; undefined when `url` goes through a
   * transaction-mode pooler and no listen_url is set (LISTEN cannot work there). */
  listenUrl: string | undefined;
}

/**
 * Refuse a database URL that is not a postgres:// URL with a host, before anything tries to
 * connect to it (`DATABASE_URL=database` would otherwise look up a host named "base").
 */
export function checkDatabaseUrl(url: string, where: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed && /^postgres(ql)?:$/.test(parsed.protocol) && (parsed.hostname !== '' || parsed.searchParams.has('host'))) return;
  // Shown with anything that may be a password (between ':' and '@') masked.
  const shown = url.replace(/:[^:@/]*@/, ':***@');
  throw new ConfigError(`${where} '${shown}' is not a PostgreSQL URL: write it as postgres://user:password@host:5432/database, or leave it unset to use the embedded PostgreSQL`);
}

/**
 * Where scripts connect: DATABASE_URL, else [database] url, else the embedded PostgreSQL,
 * started on demand with its database created on first use.
 */
export async function resolveDatabase(config: Config): Promise<ResolvedDatabase> {
  const fromEnvironment = process.env.DATABASE_URL;
  const url = fromEnvironment || config.section('database').optional<string>('url');
  const pooler = databasePooler(config);
  const listenUrl = config.section('database').optional<string>('listen_url') || undefined;
  if (listenUrl) checkDatabaseUrl(listenUrl, `[database] listen_url in ${config.file}`);
  if (url) {
    checkDatabaseUrl(url, fromEnvironment ? 'DATABASE_URL' : `[database] url in ${config.file}`);
    return { url, embedded: false, pooler, listenUrl: listenUrl ?? (pooler === 'transaction' ? undefined : url) };
  }
  const options = embeddedOptions(config);
  const adminUrl = await ensureEmbeddedPostgres(options);
  await ensureDatabase(adminUrl, options.database);
  const embeddedUrl = withDatabase(adminUrl, options.database);
  return { url: embeddedUrl, embedded: true, pooler, listenUrl: listenUrl ?? (pooler === 'transaction' ? undefined : embeddedUrl) };
}

/** resolveDatabase's URL alone. */
export async function resolveDatabaseUrl(config: Config): Promise<string> {
  return (await resolveDatabase(config)).url;
}
