// The jobs API under load, at a small scale (bench/httpApi.ts runs it with 1,000,000 finished
// jobs and 200 clients for 30 s): the listing, metrics and page queries read indexes, never the
// whole job table; many concurrent clients get no error; the server's pool holds no more
// connections than its size and closes them all when it stops.
import test from 'ava';
import pg from 'pg';
import { openDataSource } from '../lib/services/database/dataSource.ts';
import { explainApiQueries, insertHistory, runClients, serverConnections } from '../bench/httpLoad.ts';
import { makeTestApi } from './helpers/apiServer.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'httpload');
const HISTORY_ROWS = 50_000;
const POOL_SIZE = 5;
const APPLICATION = 'jobsystem http load test';

test.serial.before(async () => {
  const client = new pg.Client({ connectionString: db().url });
  await client.connect();
  try {
    await insertHistory(client, HISTORY_ROWS);
  } finally {
    await client.end();
  }
});

test.serial('the listing, metrics and status page queries read indexes, not the job table', async (t) => {
  const client = new pg.Client({ connectionString: db().url });
  await client.connect();
  try {
    const plans = await explainApiQueries(client);
    for (const plan of plans) {
      t.false(plan.seqScanOnJob, `${plan.name}: ${plan.scans.join(', ')}`);
      t.true(plan.scans.length > 0, plan.name);
    }
    t.regex(plans.find((plan) => plan.name.startsWith('countJobs'))!.scans.join(), /Index Only Scan using job__queue_type_status__idx/);
  } finally {
    await client.end();
  }
});

test.serial('concurrent clients get no error, and the server leaves no connection behind', async (t) => {
  const dataSource = await openDataSource(db().url, { poolSize: POOL_SIZE, applicationName: APPLICATION });
  const api = await makeTestApi(db(), { dataSource });
  const watcher = new pg.Client({ connectionString: db().url });
  await watcher.connect();
  let most = 0;
  let watching = true;
  const watch = (async () => {
    while (watching) {
      most = Math.max(most, await serverConnections(watcher, db().name, APPLICATION));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    const address = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const result = await runClients(address, {
      clients: 20,
      durationMs: 2000,
      paths: ['/jobs?limit=50', '/metrics', '/status/fragment', '/jobs?status=FAILED&limit=20'],
      headers: api.asReader,
    });
    t.deepEqual(result.errors, []);
    t.true(result.requests >= 20, `${result.requests} requests`);
    await api.app.close();
    await dataSource.destroy();
    watching = false;
    await watch;
    t.true(most >= 1 && most <= POOL_SIZE, `at most ${most} connections, pool of ${POOL_SIZE}`);
    await waitFor('the server connections to close', async () => (await serverConnections(watcher, db().name, APPLICATION)) === 0);
  } finally {
    watching = false;
    await watch;
    await api.app.close();
    await dataSource.destroy().catch(() => undefined);
    await watcher.end();
  }
});
