// A worker and its database going away: it outlives a restart, waits for a database that is
// not up yet, and hands back the jobs it held when the database went away mid-job. This file
// runs its own cluster (tests/helpers/throwawayCluster.ts), so stopping it disturbs no other
// test file.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { performance } from 'node:perf_hooks';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useThrowawayCluster } from './helpers/throwawayCluster.ts';
import { startWorker, type WorkerProcess } from './helpers/workerProcess.ts';

// A lease far longer than any test: a job comes back only if the worker hands it back.
const cluster = useThrowawayCluster(test, 'worker-restart', ['lease_duration: 1h']);
let worker: WorkerProcess | undefined;

test.serial.before(async () => {
  await cluster().admin.query('CREATE TABLE job_run (job bigint NOT NULL, pid integer NOT NULL)');
});

test.afterEach.always(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  worker = undefined;
});

async function statusOf(id: number): Promise<string | undefined> {
  const [row] = (await cluster().admin.query(`SELECT status FROM job WHERE id = $1`, [id])) as Array<{ status: string }>;
  return row?.status;
}

test.serial('a worker survives a restart of its database and runs the jobs created after it', async (t) => {
  worker = startWorker(cluster().configFile, ['--poll', '10m']);
  await worker.waitForLine(/Worker ready/);
  const before = await ScriptedJob.create(cluster().admin.manager, { action: 'succeed' });
  await waitFor('the first job to complete', async () => (await statusOf(before.job.id)) === 'COMPLETED');
  await cluster().stop();
  await cluster().start();
  // The listener reconnects (with backoff) and the worker looks at the queue again.
  await worker.waitForLine(/reconnected|back/i);
  const after = await ScriptedJob.create(cluster().admin.manager, { action: 'succeed' });
  await waitFor('the job created after the restart to complete', async () => (await statusOf(after.job.id)) === 'COMPLETED');
  t.is(worker.child.exitCode, null, worker.output());
  worker.child.kill('SIGTERM');
  t.is(await worker.exited, 143, worker.output());
});

test.serial('a worker started while its database is down waits with backoff, says so once, and runs jobs once it is up', async (t) => {
  const job = await ScriptedJob.create(cluster().admin.manager, { action: 'succeed' });
  await cluster().stop();
  const spawned = performance.now();
  worker = startWorker(cluster().configFile, ['--poll', '10m', '-v']);
  try {
    // Four tries, each after a backoff delay: the first three delays are at least 125, 250
    // and 500 ms (half of 250 ms doubled each time, jitter taken at its lowest). A busy loop
    // would be there within milliseconds; a slow machine is only later.
    await worker.waitForLine(/Database unavailable \(try 4\)/);
    const waitedMs = performance.now() - spawned;
    t.true(waitedMs >= 875, `4 tries within ${waitedMs.toFixed(0)} ms of the start`);
    t.is(worker.child.exitCode, null, worker.output());
  } finally {
    await cluster().start();
  }
  await waitFor('the job to complete', async () => (await statusOf(job.job.id)) === 'COMPLETED');
  await worker.waitForLine(/Worker ready/);
  const output = worker.output();
  // One line says what is going on, however long the wait.
  const warnings = output.match(/^WARNING .*$/gm) ?? [];
  t.is(warnings.length, 1, output);
  t.regex(warnings[0]!, /^WARNING Waiting for the database: .*ECONNREFUSED/);
  t.notRegex(output, /^ERROR/m);
  worker.child.kill('SIGTERM');
  t.is(await worker.exited, 143, output);
});

test.serial('a worker that loses its database in the middle of a job hands the job back once it is back: run again, completed once', async (t) => {
  const markFile = join(cluster().dir, 'mid-job-started');
  const releaseFile = join(cluster().dir, 'mid-job-release');
  // Its first attempt hangs until the database has gone; every run that ends commits a row.
  const job = await ScriptedJob.create(cluster().admin.manager, { action: 'hang-on-attempt', hangAttempts: [1], markFile, releaseFile, recordRun: true });
  worker = startWorker(cluster().configFile, ['--poll', '10m']);
  await waitFor('the job to start', async () => existsSync(markFile));
  await cluster().stop();
  // The job's run() ends now, and its end cannot commit: the worker has lost the database.
  writeFileSync(releaseFile, '');
  await worker.waitForLine(/Lost the database/);
  await cluster().start();
  await waitFor('the job to complete', async () => (await statusOf(job.job.id)) === 'COMPLETED');
  const output = worker.output();
  t.regex(output, /handed back 1 job\(s\) held when it was lost/, output);
  const [row] = (await cluster().admin.query('SELECT attempt_count, runner_deaths FROM job WHERE id = $1', [job.job.id])) as Array<{ attempt_count: number; runner_deaths: number }>;
  // Handed back, the lost attempt is not counted; nor is it a runner's death.
  t.deepEqual(row, { attempt_count: 1, runner_deaths: 0 });
  const [runs] = (await cluster().admin.query('SELECT count(*)::integer AS n FROM job_run WHERE job = $1', [job.job.id])) as Array<{ n: number }>;
  t.is(runs!.n, 1, 'the job ran to completion once');
  t.is(worker.child.exitCode, null, output);
  worker.child.kill('SIGTERM');
  t.is(await worker.exited, 143, output);
});
