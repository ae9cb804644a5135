// The bench's databases on the embedded PostgreSQL: one template per project, built once per
// bench run, and a fresh copy of it for every measured run, so no run sees another's dead rows.
import { execFileSync } from 'node:child_process';
import { withDatabaseClient } from '../lib/services/database/databaseClient.ts';
import { ensureEmbeddedPostgres } from '../lib/services/database/embeddedPostgres.ts';

/** The superuser URL of the `postgres` database, the cluster started if needed. */
export async function adminUrl(): Promise<string> {
  return ensureEmbeddedPostgres();
}

/** The URL of another database of the same cluster. */
export function databaseUrl(admin: string, database: string): string {
  const url = new URL(admin);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Run `work` with one connection to `url`, closed afterwards. */
export const withClient = withDatabaseClient;

export async function dropDatabase(admin: string, name: string): Promise<void> {
  await withClient(admin, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  });
}

/** (Re)create `name`, empty or as a copy of `template`. FILE_COPY: a quick copy of the files. */
export async function createDatabase(admin: string, name: string, template?: string): Promise<string> {
  await withClient(admin, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    const from = template ? ` TEMPLATE ${client.escapeIdentifier(template)} STRATEGY FILE_COPY` : '';
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${from}`);
  });
  return databaseUrl(admin, name);
}

/** After the untimed set-up of a run: statistics and visibility map current, dirty pages
 * written, so the timed part does not pay for the set-up's leftovers. Same for both projects. */
export async function settle(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('VACUUM (ANALYZE)');
    await client.query('CHECKPOINT');
  });
  // Wait for the kernel to write back what the copy and the checkpoint left dirty: case f
  // copies a 1,000,000-row database (~200 MB) per run, and its writeback used to run during
  // the timed part, slowing both projects there (graphile-worker's f, the same work as its c,
  // measured 0.76 of its c).
  execFileSync('sync');
}

export async function serverVersion(admin: string): Promise<string> {
  return withClient(admin, async (client) => (await client.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v);
}

/** The settings that decide commit cost, for the results. */
export async function serverSettings(admin: string): Promise<Record<string, string>> {
  return withClient(admin, async (client) => {
    const names = ['shared_buffers', 'synchronous_commit', 'fsync', 'max_connections', 'wal_level'];
    const rows = (await client.query<{ name: string; value: string }>(
      'SELECT name, current_setting(name) AS value FROM pg_settings WHERE name = ANY($1) ORDER BY name', [names])).rows;
    return Object.fromEntries(rows.map((row) => [row.name, row.value]));
  });
}
