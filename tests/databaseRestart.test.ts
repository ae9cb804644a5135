// PostgreSQL restarted in the middle of a run: one clear line, a non-zero exit, no job stuck
// beyond its lease, and the next run completes every job. This file runs its own embedded
// cluster, so restarting it disturbs no other test file.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { applySchema } from '../lib/services/database/applySchema.ts';
import { withDatabase } from '../lib/services/database/databaseUrl.ts';
import { openDataSource } from '../lib/services/database/dataSource.ts';
import { ensureEmbeddedPostgres, stopEmbeddedPostgres } from '../lib/services/database/embeddedPostgres.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { waitFor } from './helpers/scriptedSection.ts';

const dir = join('var', 'tests', `restart-${randomBytes(4).toString('hex')}`);
const cluster = { dataDir: join(dir, 'postgres'), port: 0 };
let url = '';
let admin: DataSource;
let configFile = '';

test.before(async () => {
  const server = await ensureEmbeddedPostgres(cluster);
  const client = new pg.Client(server);
  await client.connect();
  await client.query('CREATE DATABASE restart_test');
  await client.end();
  url = withDatabase(server, 'restart_test');
  await applySchema(url);
  admin = await openDataSource(url);
  configFile = fromRoot(join(dir, 'test.ini'));
  mkdirSync(fromRoot(dir), { recursive: true });
  writeFileSync(configFile, [
    '[meta]', `extends: ${fromRoot('config/testrunner.ini')}`, '',
    '[database]', `url: ${url}`, '',
    '[error_reports]', `error_dir: ${fromRoot(join(dir, 'oops'))}`, '',
    '[scripts]', `lock_dir: ${fromRoot(join(dir, 'lock'))}`, '',
    '[scripted]', 'link: job_runner', 'dbuser: postgres', 'source_interface: tests.helpers.scriptedJob.IScriptedJobSource',
    'batch_size: 5', 'lease_duration: 10s', '',
  ].join('\n'));
});

test.after.always(async () => {
  await admin?.destroy().catch(() => undefined);
  await stopEmbeddedPostgres(cluster, 'immediate').catch(() => undefined);
  rmSync(fromRoot(dir), { recursive: true, force: true });
});

test('a run interrupted by a database restart exits 3 with one line; the next run completes every job', async (t) => {
  // Three quick jobs, then jobs that hang (on their first attempt) until the database has
  // gone away, so that however slowly the restart comes, it comes in the middle of the run.
  const releaseFile = fromRoot(join(dir, 'release'));
  const ids = await ScriptedJob.createMany(admin.manager, [
    ...Array.from({ length: 3 }, () => ({ action: 'sleep' as const, ms: 100 })),
    ...Array.from({ length: 37 }, () => ({ action: 'hang-on-attempt' as const, hangAttempts: [1], releaseFile })),
  ]);
  const child = spawn(fromRoot('cronscripts/run_jobs.ts'), ['scripted'], { env: { ...process.env, JOBS_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await waitFor('a few jobs to complete', async () => {
    const [row] = await admin.query(`SELECT count(*) AS n FROM job WHERE status = 'COMPLETED'`);
    return row.n >= 3 || undefined;
  });
  await admin.destroy();
  await stopEmbeddedPostgres(cluster, 'fast');
  writeFileSync(releaseFile, '');
  await ensureEmbeddedPostgres(cluster);
  const code = await exited;
  t.is(code, 3, stderr);
  const errors = stderr.split('\n').filter((line) => line.startsWith('ERROR'));
  t.is(errors.length, 1, stderr);
  t.regex(errors[0]!, /^ERROR {3}run_jobs: (database unavailable|cannot use the database)/);

  admin = await openDataSource(url);
  const stuck: Array<{ id: number; leased: boolean }> = await admin.query(`SELECT id, lease_expires IS NOT NULL AS leased FROM job WHERE status = 'RUNNING'`);
  for (const row of stuck) t.true(row.leased, `job ${row.id} is RUNNING without a lease`);
  t.log(`jobs left RUNNING under a lease: ${stuck.length}`);
  // Let those leases pass now rather than waiting for them.
  await admin.query(`UPDATE job SET lease_expires = now() - interval '1 second' WHERE status = 'RUNNING'`);
  const next = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: configFile } });
  t.is(next.code, 0, next.stderr);
  const [row] = await admin.query(`SELECT count(*) FILTER (WHERE status = 'COMPLETED') AS done, count(*) AS total FROM job WHERE id = ANY($1)`, [ids]);
  t.is(row.done, 40);
  t.is(row.total, 40);
});
