// The per-file test databases: copies of a template no session can connect to (a connected
// session makes a copy fail), under names no concurrent run can also choose.
import test from 'ava';
import pg from 'pg';
import { withDatabase } from '../lib/services/database/databaseUrl.ts';
import { withDatabaseClient } from '../lib/services/database/databaseClient.ts';
import { createTestDatabase, serverUrl, templateName } from './helpers/database.ts';

test('the template accepts no connections', async (t) => {
  const server = await serverUrl();
  const template = await templateName(server);
  const [row] = await withDatabaseClient(server, async (client) =>
    (await client.query('SELECT datallowconn, datistemplate FROM pg_database WHERE datname = $1', [template])).rows,
  );
  t.deepEqual(row, { datallowconn: false, datistemplate: true });
  const client = new pg.Client({ connectionString: withDatabase(server, template) });
  client.on('error', () => undefined);
  const error = await t.throwsAsync(client.connect());
  t.regex(error!.message, /is not currently accepting connections/);
  await client.end().catch(() => undefined);
});

test('test databases made at the same moment are all made, under names of their own', async (t) => {
  const made = await Promise.all([1, 2, 3, 4].map(() => createTestDatabase('copies')));
  try {
    const names = made.map((db) => db.name);
    t.is(new Set(names).size, 4);
    for (const name of names) t.regex(name, new RegExp(`^test_copies_${process.pid}_[0-9a-f]{12}$`));
    const [{ jobs }] = await made[3]!.admin.query('SELECT count(*)::integer AS jobs FROM job');
    t.is(jobs, 0);
  } finally {
    await Promise.all(made.map((db) => db.drop()));
  }
});
