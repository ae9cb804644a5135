// The isolated runner: each job in a child process, with hard time and memory limits.
import { join } from 'node:path';
import test from 'ava';
import { listOops, readOops } from '../lib/services/oops/store.ts';
import { FooEntity } from '../lib/component/foo/model/foo.ts';
import { makeFoo, reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob, type ScriptedPayload } from './helpers/scriptedJob.ts';
import { scriptedConfig } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'isolated');

// The time limit of the timeout tests. A worker's clock starts when the job is sent to it,
// after the worker is up; the limit must still be far above what the quick job beside the
// slow one takes on a busy machine (its first queries on a new connection), or that one
// times out too.
const JOB_TIMEOUT = '5s';

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

async function enqueue(payload: ScriptedPayload): Promise<number> {
  return (await ScriptedJob.create(db().admin.manager, payload)).job.id;
}

async function newOops(before: string[]) {
  const added = (await listOops(db().errorDir)).filter((path) => !before.includes(path));
  return Promise.all(added.map(readOops));
}

async function run(name: string, keys: Record<string, string | number | boolean>) {
  const config = scriptedConfig(db(), name, { isolated: true, ...keys });
  return runScript('cronscripts/run_jobs.ts', ['scripted', '-v'], { env: { JOBS_CONFIG: config } });
}

test.serial('a job past its time limit is killed with "Job ran too long.", FAILED, and the run goes on', async (t) => {
  const slow = await enqueue({ action: 'sleep', ms: 600_000 });
  const next = await enqueue({ action: 'succeed' });
  const before = await listOops(db().errorDir);
  const result = await run('timeout', { job_timeout: JOB_TIMEOUT });
  t.is(result.code, 0, result.stderr);
  t.is((await reloadJob(db().admin.manager, slow)).status, 'FAILED');
  t.is((await reloadJob(db().admin.manager, next)).status, 'COMPLETED');
  const reports = await newOops(before);
  t.is(reports.length, 1);
  t.is(reports[0]!.type, 'JobTimeout');
  t.is(reports[0]!.value, 'Job ran too long.');
  t.deepEqual(reports[0]!.req_vars.find(([key]) => key === 'job_id'), ['job_id', String(slow)]);
  t.regex(result.stderr, /Ran 1 ScriptedJob jobs\.\nINFO {4}1 ScriptedJob jobs did not complete\./);
});

test.serial("a job class's timeoutMs limits its run when the section sets no job_timeout", async (t) => {
  const slow = await enqueue({ action: 'sleep', ms: 600_000, timeoutMs: 1000 });
  const before = await listOops(db().errorDir);
  const result = await run('class-timeout', { job_timeout: 0 });
  t.is(result.code, 0, result.stderr);
  t.is((await reloadJob(db().admin.manager, slow)).status, 'FAILED');
  const reports = await newOops(before);
  t.is(reports.length, 1);
  t.is(reports[0]!.value, 'Job ran too long.');
});

test.serial('a job that times out is requeued instead when its class retries JobTimeout', async (t) => {
  const slow = await enqueue({ action: 'sleep', ms: 600_000, retryTimeouts: true });
  await db().admin.query('UPDATE job SET max_retries = 3 WHERE id = $1', [slow]);
  const before = await listOops(db().errorDir);
  const result = await run('timeout-retry', { job_timeout: JOB_TIMEOUT });
  t.is(result.code, 0, result.stderr);
  const job = await reloadJob(db().admin.manager, slow);
  t.is(job.status, 'WAITING');
  t.truthy(job.scheduledStart);
  t.deepEqual(await newOops(before), []);
});

test.serial('a job over its memory limit is killed with an OOPS', async (t) => {
  const hungry = await enqueue({ action: 'allocate', mb: 400, ms: 30_000 });
  const before = await listOops(db().errorDir);
  const result = await run('memory', { memory_limit: 200 });
  t.is(result.code, 0, result.stderr);
  t.is((await reloadJob(db().admin.manager, hungry)).status, 'FAILED');
  const reports = await newOops(before);
  t.is(reports.length, 1);
  t.is(reports[0]!.type, 'JobMemoryExceeded');
  t.regex(reports[0]!.value, /Job exceeded its memory limit: \d+ MB resident, limit 200 MB\./);
});

test.serial('a worker is reused after a success and replaced after a failure', async (t) => {
  const first = await enqueue({ action: 'record-pid' });
  const second = await enqueue({ action: 'record-pid' });
  await enqueue({ action: 'crash' });
  const fourth = await enqueue({ action: 'record-pid' });
  const result = await run('reuse', { batch_size: 10 });
  t.is(result.code, 0, result.stderr);
  const pid = async (id: number) => (await reloadJob(db().admin.manager, id)).log;
  t.truthy(await pid(first));
  t.is(await pid(second), await pid(first));
  t.not(await pid(fourth), await pid(first));
});

test.serial('every outcome works in a child process: retry, user error, suspend, OOPS with rolled-back writes', async (t) => {
  const retry = await enqueue({ action: 'retry' });
  await db().admin.query('UPDATE job SET max_retries = 1 WHERE id = $1', [retry]);
  const userError = await enqueue({ action: 'user-error' });
  const suspend = await enqueue({ action: 'suspend' });
  const foo = await makeFoo(db().admin.manager, { someAttribute: 'untouched' });
  const crash = await enqueue({ action: 'write-then-crash', fooId: foo.id });
  const result = await run('outcomes', {});
  t.is(result.code, 0, result.stderr);
  t.is((await reloadJob(db().admin.manager, retry)).status, 'WAITING');
  t.is((await reloadJob(db().admin.manager, userError)).status, 'FAILED');
  t.is((await reloadJob(db().admin.manager, suspend)).status, 'SUSPENDED');
  t.is((await reloadJob(db().admin.manager, crash)).status, 'FAILED');
  t.is((await db().admin.manager.findOneByOrFail(FooEntity, { id: foo.id })).someAttribute, 'untouched');
  t.regex(result.stderr, /Job resulted in OOPS: OOPS-/);
  t.regex(result.stderr, /Ran 0 ScriptedJob jobs\.\nINFO {4}4 ScriptedJob jobs did not complete\./);
});

test.serial('isolated workers run jobs concurrently', async (t) => {
  // Each job waits for another to start before it sleeps: however long a worker takes to
  // start on a busy machine, two jobs that ran at once overlap.
  const meetDir = join(db().dir, 'meet-isolated');
  const ids = await Promise.all([1, 2, 3, 4].map(() => enqueue({ action: 'sleep-and-record', ms: 500, meetDir, peers: 2 })));
  const result = await run('isolated-concurrency', { concurrency: 2, batch_size: 1 });
  t.is(result.code, 0, result.stderr);
  const spans: Array<{ start: number; end: number; pid: number }> = (await db().admin.query('SELECT log FROM job WHERE id = ANY($1)', [ids])).map((row: { log: string }) => JSON.parse(row.log));
  const overlap = Math.max(...spans.map((a) => spans.filter((b) => b.start <= a.start && a.start < b.end).length));
  t.true(overlap >= 2, `at most ${overlap} job(s) ran at once`);
  t.true(new Set(spans.map((span) => span.pid)).size >= 2);
});
