import type pg from 'pg';
import { applySchemaOn } from './applySchema.ts';
import type { ResolvedDatabase } from './databaseUrl.ts';
import { SchemaBehind, schemaState } from './schemaState.ts';

/**
 * Make sure the database on `client` has this version's schema before a script uses it: the
 * embedded development server is brought up to date on the fly; a configured database is
 * upgraded only by the explicit command (SchemaBehind, exit 4), run by the owner of the tables.
 */
export async function requireCurrentSchema(client: pg.ClientBase, database: ResolvedDatabase): Promise<void> {
  const state = await schemaState(client);
  if (state === 'current') return;
  if (!database.embedded) throw new SchemaBehind(database.url, state);
  await applySchemaOn(client);
}
