import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { fromRoot } from '../paths.ts';
import { withDatabaseClient } from './databaseClient.ts';

export function schemaText(): string {
  return readFileSync(fromRoot('schema.sql'), 'utf8');
}

export function schemaHash(text = schemaText()): string {
  return createHash('sha256').update(text).digest('hex');
}

// Any 64-bit number both appliers agree on: serialises concurrent applies to one database.
const APPLY_LOCK = 4_242_001;

/**
 * Apply schema.sql to the database at `url` unless this version is already recorded there.
 * Every statement in schema.sql is idempotent (new columns of existing tables come as
 * `ALTER TABLE ... ADD COLUMN IF NOT EXISTS`), so this both creates a new database and
 * upgrades one made by any earlier version, and a half-applied database is fixed by a second
 * run. Needs the owner of the tables, allowed to create roles (see the README's production
 * setup); `cronscripts/upgrade-schema.ts` (npm run db:upgrade) is the command for it.
 */
export async function applySchema(url: string, text = schemaText()): Promise<'applied' | 'current'> {
  return withDatabaseClient(url, (client) => applySchemaOn(client, text));
}

/** applySchema on an open connection (a script goes on to use it for other questions). */
export async function applySchemaOn(client: pg.ClientBase, text = schemaText()): Promise<'applied' | 'current'> {
  const hash = schemaHash(text);
  const recorded = await client
    .query<{ sha256: string }>('SELECT sha256 FROM schema_applied WHERE sha256 = $1', [hash])
    .then((result) => result.rowCount === 1, () => false);
  if (recorded) return 'current';
  try {
    // One transaction: a failed upgrade leaves the database as it was, and the hash is
    // recorded only with the statements it stands for. The lock that keeps two upgrades from
    // running at once is the transaction's own (pg_advisory_xact_lock): it ends with COMMIT or
    // ROLLBACK even behind a transaction-mode pooler, where a session lock could be left on a
    // server connection that other clients go on using.
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [APPLY_LOCK]);
    await client.query(text);
    await client.query('INSERT INTO schema_applied (sha256) VALUES ($1) ON CONFLICT DO NOTHING', [hash]);
    await client.query('COMMIT');
    return 'applied';
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
