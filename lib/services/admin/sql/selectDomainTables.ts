import type pg from 'pg';

// Domain job tables by convention, with no registry to keep: every table whose single-column
// foreign key to job(id) is also its primary key or a unique key (one row per job), as
// foojob.job is. Names come back quoted (regclass, quote_ident), ready to go into a statement.
const TEXT = `SELECT c.conrelid::regclass::text AS table_name, quote_ident(a.attname) AS column_name
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
  WHERE c.contype = 'f' AND c.confrelid = 'job'::regclass AND cardinality(c.conkey) = 1
    AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indisunique
                AND i.indnatts = 1 AND i.indkey[0] = c.conkey[1])
  ORDER BY 1`;

export interface DomainTable {
  /** Quoted as an identifier (safe to put into SQL). */
  table: string;
  /** The column holding the job's id, quoted. */
  column: string;
}

/** The tables holding one domain row per job (foojob, ...). */
export async function selectDomainTables(client: pg.ClientBase): Promise<DomainTable[]> {
  const result = await client.query<{ table_name: string; column_name: string }>(TEXT);
  return result.rows.map((row) => ({ table: row.table_name, column: row.column_name }));
}

/** The row of `table` for job `id`, as JSON, or undefined. */
export async function selectDomainRow(client: pg.ClientBase, table: DomainTable, id: number): Promise<Record<string, unknown> | undefined> {
  const result = await client.query<{ row: Record<string, unknown> }>(`SELECT to_jsonb(domain_row) AS row FROM ${table.table} domain_row WHERE ${table.column} = $1`, [id]);
  return result.rows[0]?.row;
}
