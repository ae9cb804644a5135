import type pg from 'pg';
import { schemaHash } from './applySchema.ts';
import { describeUrl } from './describeUrl.ts';

/** The command that applies schema.sql, named by every message that asks for it. */
export const UPGRADE_COMMAND = 'npm run db:upgrade (cronscripts/upgrade-schema.ts), as the owner of the tables';

/**
 * current: this version's schema.sql is recorded in schema_applied. behind: it is not (an
 * older or another version is). missing: the database has no schema_applied table at all.
 */
export type SchemaState = 'current' | 'behind' | 'missing';

/**
 * One query, cheap enough for every cron run, that applies nothing: a run that connects as a
 * section's login may not change the schema, and should not have to.
 */
export async function schemaState(client: pg.ClientBase, hash = schemaHash()): Promise<SchemaState> {
  try {
    const result = await client.query<{ current: boolean }>('SELECT EXISTS (SELECT 1 FROM schema_applied WHERE sha256 = $1) AS current', [hash]);
    return result.rows[0]?.current ? 'current' : 'behind';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42P01') return 'missing'; // undefined_table
    // insufficient_privilege: versions before the grant to PUBLIC hid the table from the
    // section roles; such a database is behind.
    if (code === '42501') return 'behind';
    throw error;
  }
}

/** A database whose schema is not this version's: the run stops before touching a job. */
export class SchemaBehind extends Error {
  override name = 'SchemaBehind';

  constructor(url: string, state: Exclude<SchemaState, 'current'>) {
    super(
      state === 'missing'
        ? `the database at ${describeUrl(url)} has no jobsystem schema; create it with ${UPGRADE_COMMAND}`
        : `the database at ${describeUrl(url)} has not been upgraded to this version's schema.sql; upgrade it with ${UPGRADE_COMMAND}`,
    );
  }
}
