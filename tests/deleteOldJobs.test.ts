// Pruning old finished jobs: pruneJobs() and cronscripts/delete_old_jobs.ts, on real PostgreSQL.
import { spawn } from 'node:child_process';
import test from 'ava';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import { DeleteOldJobsScript } from '../lib/services/admin/deleteOldJobsScript.ts';
import { pruneJobs } from '../lib/services/admin/pruneJobs.ts';
import { withDatabaseClient } from '../lib/services/database/databaseClient.ts';
import { JobStatus } from '../lib/services/job/interfaces/jobStatus.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { makeFoo } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'delete_old_jobs');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

/** A DoFooJob (job row, foojob row, foo) in `status`, created and finished that long ago. */
async function makeFooJob(status: JobStatus, createdAgoMs: number, finishedAgoMs: number | null = createdAgoMs): Promise<number> {
  const manager = db().admin.manager;
  const job = await DoFooJob.create(manager, await makeFoo(manager));
  await manager.query(
    `UPDATE job SET status = $2, date_created = now() - $3 * interval '1 ms', date_finished = now() - $4 * interval '1 ms' WHERE id = $1`,
    [job.job.id, status, createdAgoMs, finishedAgoMs],
  );
  return job.job.id;
}

async function remainingJobIds(): Promise<number[]> {
  const rows: Array<{ id: number }> = await db().admin.query('SELECT id FROM job ORDER BY id');
  return rows.map((row) => Number(row.id));
}

async function fooJobCount(): Promise<number> {
  return Number((await db().admin.query('SELECT count(*) AS n FROM foojob'))[0].n);
}

function prune(options: Parameters<typeof pruneJobs>[1]) {
  return withDatabaseClient(db().url, (client) => pruneJobs(client, options));
}

test.serial('pruneJobs deletes old COMPLETED and FAILED jobs with their foojob rows, and keeps the foos', async (t) => {
  await makeFooJob(JobStatus.COMPLETED, 3 * DAY);
  await makeFooJob(JobStatus.FAILED, 2 * DAY);
  const foos = Number((await db().admin.query('SELECT count(*) AS n FROM foo'))[0].n);
  const result = await prune({ olderThanMs: DAY });
  t.is(result.deleted, 2);
  t.false(result.stopped);
  t.deepEqual(await remainingJobIds(), []);
  t.is(await fooJobCount(), 0);
  t.is(Number((await db().admin.query('SELECT count(*) AS n FROM foo'))[0].n), foos);
});

test.serial('pruneJobs never deletes WAITING, RUNNING or SUSPENDED jobs, however old', async (t) => {
  const pending = [
    await makeFooJob(JobStatus.WAITING, 30 * DAY, null),
    await makeFooJob(JobStatus.RUNNING, 30 * DAY, null),
    await makeFooJob(JobStatus.SUSPENDED, 30 * DAY, null),
  ];
  const result = await prune({ olderThanMs: 0 });
  t.is(result.deleted, 0);
  t.deepEqual(await remainingJobIds(), pending);
  t.is(await fooJobCount(), 3);
});

test.serial('pruneJobs keeps finished jobs created, or finished, within the retention', async (t) => {
  const kept = [
    await makeFooJob(JobStatus.COMPLETED, HOUR),
    // Created long ago but finished an hour ago (a retry, a resumed job): still kept.
    await makeFooJob(JobStatus.FAILED, 3 * DAY, HOUR),
  ];
  const old = await makeFooJob(JobStatus.COMPLETED, 3 * DAY);
  const result = await prune({ olderThanMs: DAY });
  t.is(result.deleted, 1);
  t.deepEqual(await remainingJobIds(), kept);
  t.false(kept.includes(old));
});

test.serial('pruneJobs deletes in batches of batchSize and reports each', async (t) => {
  for (let i = 0; i < 5; i++) await makeFooJob(JobStatus.COMPLETED, 2 * DAY);
  const progress: number[] = [];
  const result = await prune({ olderThanMs: DAY, batchSize: 2, onBatch: (deleted) => progress.push(deleted) });
  t.is(result.deleted, 5);
  t.deepEqual(progress, [2, 4, 5]);
  t.deepEqual(await remainingJobIds(), []);
});

test.serial('pruneJobs stops between batches when asked', async (t) => {
  for (let i = 0; i < 5; i++) await makeFooJob(JobStatus.COMPLETED, 2 * DAY);
  let batches = 0;
  const result = await prune({ olderThanMs: DAY, batchSize: 2, onBatch: () => batches++, shouldStop: () => batches >= 1 });
  t.deepEqual({ deleted: result.deleted, stopped: result.stopped }, { deleted: 2, stopped: true });
  t.is((await remainingJobIds()).length, 3);
});

test.serial('pruneJobs skips a job whose row another transaction holds', async (t) => {
  const held = await makeFooJob(JobStatus.FAILED, 2 * DAY);
  await makeFooJob(JobStatus.FAILED, 2 * DAY);
  await withDatabaseClient(db().url, async (other) => {
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM job WHERE id = $1 FOR UPDATE', [held]);
    const result = await prune({ olderThanMs: DAY });
    t.is(result.deleted, 1);
    await other.query('ROLLBACK');
  });
  t.deepEqual(await remainingJobIds(), [held]);
});

test.serial('with 200,000 finished jobs the pruning query reads job__finished_created__idx', async (t) => {
  await db().admin.query(`
    INSERT INTO job (job_type, status, date_created, date_finished)
    SELECT 'PrunedJob', CASE WHEN g % 2 = 0 THEN 'COMPLETED' ELSE 'FAILED' END,
           now() - interval '3 days' + g * interval '1 s', now() - interval '3 days' + g * interval '1 s'
    FROM generate_series(1, 200000) g`);
  await db().admin.query('ANALYZE job');
  const { readFileSync } = await import('node:fs');
  const source = readFileSync(new URL('../lib/services/admin/sql/deleteFinishedJobs.ts', import.meta.url), 'utf8');
  const statement = /const TEXT = `([^`]+)`/.exec(source)![1]!;
  const plan = await withDatabaseClient(db().url, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await client.query(`EXPLAIN (FORMAT JSON) ${statement}`, [new Date(Date.now() - DAY), 1000]);
      return JSON.stringify(result.rows[0]['QUERY PLAN']);
    } finally {
      await client.query('ROLLBACK');
    }
  });
  t.regex(plan, /"Index Name":"job__finished_created__idx"/);
  t.notRegex(plan, /"Node Type":"Seq Scan"/);
});

test.serial('delete_old_jobs --help names the script and --older-than', async (t) => {
  const result = await runScript('cronscripts/delete_old_jobs.ts', ['--help']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^delete_old_jobs \[--older-than 24h\]/);
  t.regex(result.stdout, /--older-than/);
  t.regex(result.stdout, /--batch-size/);
});

test.serial('delete_old_jobs deletes old finished jobs and logs how many', async (t) => {
  await makeFooJob(JobStatus.COMPLETED, 2 * DAY);
  await makeFooJob(JobStatus.FAILED, 2 * DAY);
  const kept = [await makeFooJob(JobStatus.WAITING, 2 * DAY, null), await makeFooJob(JobStatus.COMPLETED, HOUR)];
  const result = await runScript('cronscripts/delete_old_jobs.ts', ['--older-than', '24h'], { env: { JOBS_CONFIG: db().configFile } });
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, '');
  t.regex(result.stderr, /^INFO {4}Deleted 2 COMPLETED or FAILED jobs older than \d{4}-\d\d-\d\dT[\d:.]+Z\.\n$/);
  t.deepEqual(await remainingJobIds(), kept);
  t.is(await fooJobCount(), 2);
});

test.serial('delete_old_jobs reads days in --older-than', async (t) => {
  const kept = [await makeFooJob(JobStatus.COMPLETED, 3 * DAY)];
  await makeFooJob(JobStatus.COMPLETED, 8 * DAY);
  const result = await runScript('cronscripts/delete_old_jobs.ts', ['--older-than', '7d'], { env: { JOBS_CONFIG: db().configFile } });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /^INFO {4}Deleted 1 COMPLETED or FAILED job older than /);
  t.deepEqual(await remainingJobIds(), kept);
});

test.serial('a bad --older-than is one line, exit 2, and nothing deleted', async (t) => {
  const old = [await makeFooJob(JobStatus.COMPLETED, 3 * DAY)];
  const result = await runScript('cronscripts/delete_old_jobs.ts', ['--older-than', 'yesterday'], { env: { JOBS_CONFIG: db().configFile } });
  t.is(result.code, 2);
  t.is(result.stdout, '');
  t.is(result.stderr, "ERROR   delete_old_jobs: --older-than: 'yesterday' is not a duration such as 30m, 24h or 7d (see --help)\n");
  t.deepEqual(await remainingJobIds(), old);
});

test.serial('delete_old_jobs logs progress lines on long runs', async (t) => {
  for (let i = 0; i < 5; i++) await makeFooJob(JobStatus.FAILED, 2 * DAY);
  const logger = new ListLogger();
  const script = new DeleteOldJobsScript({ testArgs: ['--batch-size', '2'], logger });
  script.progressIntervalMs = 0;
  t.is(await script.lockAndRun(), 0);
  t.deepEqual(logger.lines.slice(0, -1), ['DEBUG Creating lockfile: ' + script.lockFilePath(), 'INFO Deleted 2 jobs so far.', 'INFO Deleted 4 jobs so far.', 'INFO Deleted 5 jobs so far.']);
  t.regex(logger.lines.at(-1)!, /^INFO Deleted 5 COMPLETED or FAILED jobs older than /);
  t.deepEqual(await remainingJobIds(), []);
});

test.serial('SIGTERM stops delete_old_jobs after the statement in progress, keeping what it deleted, with exit 143', async (t) => {
  await db().admin.query(`
    INSERT INTO job (job_type, status, date_created, date_finished)
    SELECT 'PrunedJob', 'COMPLETED', now() - interval '3 days', now() - interval '3 days' FROM generate_series(1, 20000)`);
  // One job per statement: a run long enough to be stopped in the middle.
  const child = spawn(fromRoot('cronscripts/delete_old_jobs.ts'), ['--batch-size', '1', '-v'], { env: { ...process.env, JOBS_CONFIG: db().configFile }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let signalled = false;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (!signalled && stderr.includes('Deleted 1 jobs so far.')) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  t.is(await exited, 143, stderr.slice(-500));
  const last = stderr.trimEnd().split('\n').at(-1)!;
  const match = /^INFO {4}Received SIGTERM: stopped after deleting (\d+) COMPLETED or FAILED jobs older than /.exec(last);
  t.truthy(match, last);
  const deleted = Number(match![1]);
  t.true(deleted >= 1);
  t.is((await remainingJobIds()).length, 20_000 - deleted);
});
