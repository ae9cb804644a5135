import test from 'ava';
import pg from 'pg';
import { applySchema } from '../lib/services/database/applySchema.ts';
import { ENTITIES } from '../lib/entities.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'schema');

// TypeORM's column types, as information_schema spells them.
const TYPE_NAMES: Record<string, string> = {
  bigint: 'bigint',
  integer: 'integer',
  text: 'text',
  timestamptz: 'timestamp with time zone',
  jsonb: 'jsonb',
};

test('every entity column exists in schema.sql with the same type and nullability, and vice versa', async (t) => {
  const rows: Array<{ table_name: string; column_name: string; data_type: string; is_nullable: string }> = await db().admin.query(
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  for (const entity of ENTITIES) {
    const metadata = db().admin.getMetadata(entity);
    const table = metadata.tableName;
    const dbColumns = rows.filter((row) => row.table_name === table);
    t.true(dbColumns.length > 0, `table ${table} exists`);
    const entityColumns = new Map(metadata.columns.map((column) => [column.databaseName, column]));
    t.deepEqual([...entityColumns.keys()].sort(), dbColumns.map((row) => row.column_name).sort(), `columns of ${table}`);
    for (const row of dbColumns) {
      const column = entityColumns.get(row.column_name);
      if (!column) continue;
      t.is(TYPE_NAMES[String(column.type)], row.data_type, `${table}.${row.column_name} type`);
      t.is(column.isNullable, row.is_nullable === 'YES', `${table}.${row.column_name} nullability`);
    }
  }
});

test('every table and column in schema.sql has a COMMENT', async (t) => {
  const missing: Array<{ what: string }> = await db().admin.query(`
    SELECT c.relname AS what FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND obj_description(c.oid, 'pg_class') IS NULL
    UNION ALL
    SELECT c.relname || '.' || a.attname FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        AND col_description(c.oid, a.attnum) IS NULL`);
  t.deepEqual(missing, []);
});

test('the ready-jobs indexes are partial on WAITING jobs', async (t) => {
  const rows = await db().admin.query(
    `SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('job__ready__idx', 'job__ready_by_id__idx') ORDER BY indexname`,
  );
  t.deepEqual(rows.map((row: { indexname: string }) => row.indexname), ['job__ready__idx', 'job__ready_by_id__idx']);
  for (const row of rows) t.regex(row.indexdef, /WHERE \(status = 'WAITING'::text\)/);
});

test('applying schema.sql again changes nothing, and a forced re-apply succeeds', async (t) => {
  t.is(await applySchema(db().url), 'current');
  await db().admin.query('DELETE FROM schema_applied');
  t.is(await applySchema(db().url), 'applied');
  t.is(await applySchema(db().url), 'current');
});

test('the dofoo role may update foo.some_attribute but not foo.name, and may not insert jobs', async (t) => {
  const client = new pg.Client({ connectionString: db().url, options: '-c role=dofoo' });
  await client.connect();
  try {
    await client.query(`INSERT INTO foo (name) VALUES ('x')`).then(() => t.fail('insert into foo'), (e: Error) => t.regex(e.message, /permission denied/));
    await client.query(`INSERT INTO job (job_type) VALUES ('x')`).then(() => t.fail('insert into job'), (e: Error) => t.regex(e.message, /permission denied/));
    await client.query(`UPDATE foo SET name = 'y'`).then(() => t.fail('update foo.name'), (e: Error) => t.regex(e.message, /permission denied/));
    await t.notThrowsAsync(client.query(`UPDATE foo SET some_attribute = 'y' WHERE false`));
    await t.notThrowsAsync(client.query(`UPDATE job SET status = status WHERE false`));
  } finally {
    await client.end();
  }
});
