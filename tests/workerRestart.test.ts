// A worker outlives a restart of its database: it waits (no crash), reconnects, and runs the
// jobs created after the restart. This file runs its own embedded cluster, so restarting it
// disturbs no other test file.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { applySchema } from '../lib/services/database/applySchema.ts';
import { withDatabase } from '../lib/services/database/databaseUrl.ts';
import { openDataSource } from '../lib/services/database/dataSource.ts';
import { ensureEmbeddedPostgres, stopEmbeddedPostgres } from '../lib/services/database/embeddedPostgres.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { startWorker, type WorkerProcess } from './helpers/workerProcess.ts';

const dir = join('var', 'tests', `worker-restart-${randomBytes(4).toString('hex')}`);
const cluster = { dataDir: join(dir, 'postgres'), port: 0 };
let url = '';
let admin: DataSource | undefined;
let configFile = '';
let worker: WorkerProcess | undefined;

test.before(async () => {
  const server = await ensureEmbeddedPostgres(cluster);
  const client = new pg.Client(server);
  await client.connect();
  await client.query('CREATE DATABASE worker_restart_test');
  await client.end();
  url = withDatabase(server, 'worker_restart_test');
  await applySchema(url);
  admin = await openDataSource(url);
  configFile = fromRoot(join(dir, 'test.ini'));
  mkdirSync(fromRoot(dir), { recursive: true });
  writeFileSync(configFile, [
    '[meta]', `extends: ${fromRoot('config/testrunner.ini')}`, '',
    '[database]', `url: ${url}`, '',
    '[error_reports]', `error_dir: ${fromRoot(join(dir, 'oops'))}`, '',
    '[scripts]', `lock_dir: ${fromRoot(join(dir, 'lock'))}`, '',
    '[scripted]', 'link: job_runner', 'dbuser: postgres', 'source_interface: tests.helpers.scriptedJob.IScriptedJobSource', '',
  ].join('\n'));
});

test.after.always(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  await admin?.destroy().catch(() => undefined);
  await stopEmbeddedPostgres(cluster, 'immediate').catch(() => undefined);
  rmSync(fromRoot(dir), { recursive: true, force: true });
});

test('a worker survives a restart of its database and runs the jobs created after it', async (t) => {
  worker = startWorker(configFile, ['--poll', '10m']);
  await worker.waitForLine(/Worker ready/);
  const before = await ScriptedJob.create(admin!.manager, { action: 'succeed' });
  await waitFor('the first job to complete', async () => {
    const [row] = (await admin!.query(`SELECT status FROM job WHERE id = $1`, [before.job.id])) as Array<{ status: string }>;
    return row?.status === 'COMPLETED';
  });
  await admin!.destroy();
  await stopEmbeddedPostgres(cluster, 'fast');
  await ensureEmbeddedPostgres(cluster);
  admin = await openDataSource(url);
  // The listener reconnects (with backoff) and the worker looks at the queue again.
  await worker.waitForLine(/reconnected|back/i);
  const after = await ScriptedJob.create(admin.manager, { action: 'succeed' });
  await waitFor('the job created after the restart to complete', async () => {
    const [row] = (await admin!.query(`SELECT status FROM job WHERE id = $1`, [after.job.id])) as Array<{ status: string }>;
    return row?.status === 'COMPLETED';
  });
  t.is(worker.child.exitCode, null, worker.output());
  worker.child.kill('SIGTERM');
  t.is(await worker.exited, 143, worker.output());
  t.log(worker.output().split('\n').filter((line) => /WARNING|ERROR|reconnect|back/i.test(line)).join('\n'));
});
