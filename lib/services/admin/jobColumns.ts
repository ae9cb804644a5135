import type pg from 'pg';

/**
 * The columns the job table has in this database. Columns that other features add (the
 * resource columns, result) are optional to the admin layer: a filter on one that does not
 * exist is bad input, and showJob shows whatever columns there are.
 */
export async function jobColumns(client: pg.ClientBase): Promise<Set<string>> {
  const result = await client.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute WHERE attrelid = 'job'::regclass AND attnum > 0 AND NOT attisdropped`,
  );
  return new Set(result.rows.map((row) => row.attname));
}
