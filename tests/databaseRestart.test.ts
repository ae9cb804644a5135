// PostgreSQL restarted in the middle of a run: one clear line, a non-zero exit, no job stuck
// beyond its lease, and the next run completes every job. This file runs its own embedded
// cluster, so restarting it disturbs no other test file.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { fromRoot } from '../lib/services/paths.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useThrowawayCluster } from './helpers/throwawayCluster.ts';

const cluster = useThrowawayCluster(test, 'restart', ['batch_size: 5', 'lease_duration: 10s']);

test('a run interrupted by a database restart exits 3 with one line; the next run completes every job', async (t) => {
  // Three quick jobs, then jobs that hang (on their first attempt) until the database has
  // gone away, so that however slowly the restart comes, it comes in the middle of the run.
  const { configFile } = cluster();
  const releaseFile = join(cluster().dir, 'release');
  const ids = await ScriptedJob.createMany(cluster().admin.manager, [
    ...Array.from({ length: 3 }, () => ({ action: 'sleep' as const, ms: 100 })),
    ...Array.from({ length: 37 }, () => ({ action: 'hang-on-attempt' as const, hangAttempts: [1], releaseFile })),
  ]);
  const child = spawn(fromRoot('cronscripts/run_jobs.ts'), ['scripted'], { env: { ...process.env, JOBS_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await waitFor('a few jobs to complete', async () => {
    const [row] = await cluster().admin.query(`SELECT count(*) AS n FROM job WHERE status = 'COMPLETED'`);
    return row.n >= 3 || undefined;
  });
  await cluster().stop();
  writeFileSync(releaseFile, '');
  await cluster().start();
  const code = await exited;
  t.is(code, 3, stderr);
  const errors = stderr.split('\n').filter((line) => line.startsWith('ERROR'));
  t.is(errors.length, 1, stderr);
  t.regex(errors[0]!, /^ERROR {3}run_jobs: (database unavailable|cannot use the database)/);

  const admin = cluster().admin;
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
