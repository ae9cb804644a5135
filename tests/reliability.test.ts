// Many runners, crashes and stops: no job is lost, stuck, or run twice at once.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { listOops, readOops } from '../lib/services/oops/store.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob, type ScriptedPayload } from './helpers/scriptedJob.ts';
import { scriptedConfig, waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'reliability');

test.serial.before(async () => {
  await db().admin.query('CREATE TABLE job_run (job bigint NOT NULL, pid integer NOT NULL)');
});

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
  await db().admin.query('DELETE FROM job_run');
});

async function enqueue(payload: ScriptedPayload, count = 1, maxRetries = 0): Promise<number[]> {
  const ids = await ScriptedJob.createMany(db().admin.manager, Array.from({ length: count }, () => payload));
  if (maxRetries) await db().admin.query('UPDATE job SET max_retries = $2 WHERE id = ANY($1)', [ids, maxRetries]);
  return ids;
}

/** Start run_jobs scripted as a process we can signal. */
function startRunner(configFile: string, args: string[] = []) {
  const child = spawn(fromRoot('cronscripts/run_jobs.ts'), ['scripted', ...args], { env: { ...process.env, JOBS_CONFIG: configFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  /** Wait until the runner has logged a line matching `pattern`. */
  const logged = (pattern: RegExp) => waitFor(`the runner to log ${pattern}`, async () => pattern.test(stderr));
  return { child, exited, logged };
}

async function runningJob(id: number) {
  const job = await reloadJob(db().admin.manager, id);
  return job.status === 'RUNNING' ? job : undefined;
}

/** Make the lease of a job pass now, instead of waiting for it (the clock, moved). */
async function expireLease(id: number): Promise<void> {
  await db().admin.query(`UPDATE job SET lease_expires = now() - interval '1 second' WHERE id = $1`, [id]);
}

// The same drain with small batches, and in a fast configuration (as the bench's case c
// tries: batch transactions with a savepoint per job, four jobs at once per process), with
// enough jobs that every process gets some.
for (const [label, jobCount, keys] of [
  ['batch_size 25', 2000, { batch_size: 25 }],
  ['batch_size 500, concurrency 4', 20_000, { batch_size: 500, concurrency: 4 }],
] as const) {
  test.serial(`4 runner processes drain ${jobCount.toLocaleString('en')} jobs and every job runs exactly once: ${label}`, async (t) => {
    const ids = await enqueue({ action: 'count' }, jobCount);
    const config = scriptedConfig(db(), `many-${keys.batch_size}`, keys);
    // Separate lock folders: as if each process were on its own host.
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => runScript('cronscripts/run_jobs.ts', ['scripted', '--lock-dir', join(db().dir, `host${n}`)], { env: { JOBS_CONFIG: config }, timeoutMs: 600_000 })),
    );
    for (const result of results) t.is(result.code, 0, result.stderr);
    const [counts] = await db().admin.query('SELECT count(*) AS runs, count(DISTINCT job) AS jobs, count(DISTINCT pid) AS processes FROM job_run');
    t.is(counts.runs, jobCount);
    t.is(counts.jobs, jobCount);
    const [states] = await db().admin.query(`SELECT count(*) FILTER (WHERE status = 'COMPLETED' AND attempt_count = 1) AS done FROM job WHERE id = ANY($1)`, [ids]);
    t.is(states.done, jobCount);
    const ran = results.map((result) => Number(/Ran (\d+) ScriptedJob jobs/.exec(result.stderr)?.[1] ?? 0));
    t.is(ran.reduce((a, b) => a + b, 0), jobCount);
    t.log(`jobs per process: ${ran.join(', ')}; processes that ran jobs: ${counts.processes}`);
  });
}

/** Start a runner whose one job hangs, SIGKILL it once the job's run() has begun. */
async function killRunnerMidJob(config: string, markFile: string): Promise<number> {
  const [id] = await enqueue({ action: 'hang-first-runs', hangRuns: 1, markFile });
  const { child, exited } = startRunner(config);
  // Its run() has begun (a claimed job is RUNNING a moment before that).
  await waitFor('the job to start', async () => existsSync(markFile) && runningJob(id!));
  child.kill('SIGKILL');
  await exited;
  return id!;
}

test.serial('a runner on another host killed with SIGKILL leaves its job RUNNING with a lease; the next run takes it again once the lease has passed', async (t) => {
  // A lease that outlasts the slowest machine's next run; the test then moves the clock.
  const config = scriptedConfig(db(), 'crash', { lease_duration: '5m' });
  const id = await killRunnerMidJob(config, join(db().dir, 'crash-runs'));
  // As if the dead runner had been on another host: from here its death cannot be seen.
  await db().admin.query(`UPDATE job SET claimed_by = 'otherhost:4242' WHERE id = $1`, [id]);
  const [left] = await db().admin.query('SELECT status, attempt_count, lease_expires > now() AS leased FROM job WHERE id = $1', [id]);
  t.like(left, { status: 'RUNNING', attempt_count: 1, leased: true });
  // While the lease is live, another run leaves the job alone.
  const early = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config } });
  t.is(early.code, 0, early.stderr);
  t.like(await reloadJob(db().admin.manager, id), { status: 'RUNNING', attemptCount: 1 });
  await expireLease(id);
  const next = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config } });
  t.is(next.code, 0, next.stderr);
  t.regex(next.stderr, /was left running by otherhost:4242, whose lease expired; requeued to run on its own/);
  const [job] = await db().admin.query('SELECT status, attempt_count, runner_deaths FROM job WHERE id = $1', [id]);
  // The attempt the dead runner's claim counted was taken back; the death is counted apart.
  t.like(job, { status: 'COMPLETED', attempt_count: 1, runner_deaths: 1 });
});

test.serial('a runner of this host killed with SIGKILL: the next run takes its job back at once, its lease still live', async (t) => {
  const config = scriptedConfig(db(), 'crash-here', { lease_duration: '5m' });
  const id = await killRunnerMidJob(config, join(db().dir, 'crash-here-runs'));
  const [left] = await db().admin.query('SELECT status, lease_expires > now() AS leased, claimed_by FROM job WHERE id = $1', [id]);
  t.like(left, { status: 'RUNNING', leased: true });
  const next = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config } });
  t.is(next.code, 0, next.stderr);
  t.regex(next.stderr, new RegExp(`was left running by ${left.claimed_by}, whose process is gone; requeued to run on its own`));
  const [job] = await db().admin.query('SELECT status, attempt_count, runner_deaths FROM job WHERE id = $1', [id]);
  t.like(job, { status: 'COMPLETED', attempt_count: 1, runner_deaths: 1 });
});

test.serial('SIGKILL in the middle of a batch transaction commits none of its jobs; after their leases pass, every job runs exactly once', async (t) => {
  // The first claim of a run takes one job, which runs in a transaction of its own; the next
  // claim takes the others together, and as quick jobs they share one transaction, with a
  // savepoint each. The last job hangs inside that shared transaction. Whether the counted
  // jobs are still uncommitted then depends on the machine's speed: a batch open for 200 ms
  // commits after its current job. On a busy machine every counted job may have committed
  // before the last one hangs, and the kill then proves nothing: the scene is set again (up
  // to five times) until the open transaction holds some of them.
  const markFile = join(db().dir, 'hanging');
  const config = scriptedConfig(db(), 'crash-batch', { batch_size: 2000, lease_duration: '5m' });
  let counted: number[] = [];
  let hanging: number | undefined;
  let before: number[] = [];
  for (let attempt = 1; ; attempt++) {
    counted = await enqueue({ action: 'count' }, 5);
    [hanging] = await enqueue({ action: 'hang-first-runs', hangRuns: 1, markFile });
    const { child, exited } = startRunner(config);
    await waitFor('the last job to hang', async () => existsSync(markFile));
    // The runner's connection waits inside the open batch transaction while the job hangs.
    const [open] = await db().admin.query(
      `SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'jobsystem scripted' AND state = 'idle in transaction'`,
    );
    t.is(open.n, 1);
    child.kill('SIGKILL');
    await exited;
    // What committed is the first job (run alone, in its own transaction), and whatever the
    // batch committed before its 200 ms were up: not all of them.
    before = (await db().admin.query('SELECT job FROM job_run ORDER BY job')).map((row: { job: number }) => Number(row.job));
    if (before.length < counted.length || attempt === 5) break;
    t.log(`attempt ${attempt}: every counted job had committed before the hanging one started; setting the scene again`);
    await db().admin.query('DELETE FROM job');
    await db().admin.query('DELETE FROM job_run');
    rmSync(markFile);
  }
  t.deepEqual(before, counted.slice(0, before.length));
  t.true(before.length >= 1 && before.length < counted.length, `committed before the kill: ${before.length}`);
  const [left] = await db().admin.query(
    `SELECT count(*) FILTER (WHERE status = 'RUNNING' AND lease_expires > now()) AS leased FROM job WHERE id = ANY($1)`,
    [[...counted.slice(before.length), hanging]],
  );
  t.is(left.leased, counted.length - before.length + 1);
  for (const id of [...counted, hanging!]) await expireLease(id);
  const next = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config } });
  t.is(next.code, 0, next.stderr);
  const runs = await db().admin.query('SELECT job, count(*)::integer AS runs FROM job_run GROUP BY job ORDER BY job');
  t.deepEqual(runs.map((row: { job: number; runs: number }) => [Number(row.job), row.runs]), counted.map((id) => [id, 1]));
  const jobs = await db().admin.query('SELECT id, status, attempt_count FROM job WHERE id = ANY($1) ORDER BY id', [[...counted, hanging]]);
  t.deepEqual(
    jobs.map((row: { id: number; status: string; attempt_count: number }) => [Number(row.id), row.status, row.attempt_count]),
    // Dead runners' attempts are not counted: every job completed on attempt 1.
    [...counted.map((id) => [id, 'COMPLETED', 1]), [hanging, 'COMPLETED', 1]],
  );
});

test.serial('a job whose runner died once more than its tries allow is FAILED with an OOPS saying the runner died', async (t) => {
  const markFile = join(db().dir, 'crash-twice-runs');
  const [id] = await enqueue({ action: 'hang-first-runs', hangRuns: 2, markFile });
  const config = scriptedConfig(db(), 'crash-twice');
  const runs = () => (existsSync(markFile) ? readFileSync(markFile, 'utf8').split('\n').length - 1 : 0);
  for (const run of [1, 2]) {
    const { child, exited } = startRunner(config);
    // The second time it runs on its own, in the run's worker process for suspects.
    await waitFor(`run ${run} to start`, async () => runs() === run && (await runningJob(id!)));
    child.kill('SIGKILL');
    await exited;
    await expireLease(id!);
  }
  const before = await listOops(db().errorDir);
  const last = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config } });
  t.is(last.code, 0, last.stderr);
  const job = await reloadJob(db().admin.manager, id!);
  t.is(job.status, 'FAILED');
  // The first death's attempt was taken back; the one it was running alone when its runner died counts.
  t.is(job.attemptCount, 1);
  const added = (await listOops(db().errorDir)).filter((path) => !before.includes(path));
  t.is(added.length, 1);
  const report = await readOops(added[0]!);
  t.is(report.type, 'RunnerDied');
  t.regex(report.value, new RegExp(`The runner .* died while running job ${id}`));
});

test.serial('a long job keeps its lease alive, so a second runner does not take it', async (t) => {
  // The job runs until the test releases it, so a slow machine cannot end it early; the
  // lease is long enough that a busy machine's pauses do not let it pass between two
  // renewals (every third of it), and short enough to outlive in seconds.
  const releaseFile = join(db().dir, 'heartbeat-release');
  const [id] = await enqueue({ action: 'hang-on-attempt', hangAttempts: [1], releaseFile });
  const config = scriptedConfig(db(), 'heartbeat', { lease_duration: '10s' });
  const first = startRunner(config, ['--lock-dir', join(db().dir, 'hb1')]);
  const started = await waitFor('the job to start', () => runningJob(id!));
  // Past the end of the lease the claim gave, the job is still RUNNING under a later one.
  await waitFor('the first lease to pass', async () => (await db().admin.query('SELECT now() > $1 AS passed', [started.leaseExpires]))[0].passed);
  const renewed = await runningJob(id!);
  t.truthy(renewed && renewed.leaseExpires!.getTime() > started.leaseExpires!.getTime(), 'the lease was renewed');
  const second = await runScript('cronscripts/run_jobs.ts', ['scripted', '--lock-dir', join(db().dir, 'hb2')], { env: { JOBS_CONFIG: config } });
  t.is(second.code, 0, second.stderr);
  t.regex(second.stderr, /Ran 0 ScriptedJob jobs/);
  t.like(await runningJob(id!), { claimedBy: started.claimedBy, attemptCount: 1 });
  writeFileSync(releaseFile, '');
  const result = await first.exited;
  t.is(result.code, 0, result.stderr);
  const job = await reloadJob(db().admin.manager, id!);
  t.is(job.status, 'COMPLETED');
  t.is(job.attemptCount, 1);
});

test.serial('SIGTERM lets the running job finish, hands back the claimed jobs that had not started, and exits 143', async (t) => {
  // A quick job first: the run then expects jobs to be quick and claims the next 4 together.
  // The first of them runs until the test releases it, after the signal was seen.
  await enqueue({ action: 'succeed' });
  const markFile = join(db().dir, 'sigterm-started');
  const releaseFile = join(db().dir, 'sigterm-release');
  const ids = await enqueue({ action: 'hang-first-runs', hangRuns: 1, markFile, releaseFile }, 4);
  const config = scriptedConfig(db(), 'sigterm', { batch_size: 10 });
  const { child, exited, logged } = startRunner(config);
  await waitFor('the first job to start', async () => existsSync(markFile));
  child.kill('SIGTERM');
  await logged(/Received SIGTERM/);
  writeFileSync(releaseFile, '');
  const result = await exited;
  t.is(result.code, 143, result.stderr);
  t.regex(result.stderr, /Received SIGTERM: claiming no more jobs/);
  t.regex(result.stderr, /handed back 3 claimed job\(s\) that had not started/);
  const rows: Array<{ id: number; status: string; attempt_count: number; claimed_by: string | null }> = await db().admin.query(
    'SELECT id, status, attempt_count, claimed_by FROM job WHERE id = ANY($1) ORDER BY id',
    [ids],
  );
  t.like(rows[0], { status: 'COMPLETED', attempt_count: 1 });
  for (const row of rows.slice(1)) t.like(row, { status: 'WAITING', attempt_count: 0, claimed_by: null });
});

test.serial('when the grace period after SIGTERM runs out, the claimed jobs that had not started are WAITING again with their attempt not counted', async (t) => {
  const markFile = join(db().dir, 'grace-hang.mark');
  // A run's first claim takes one job; after this quick one, the next claim takes the four
  // below together: the first of them hangs, the other three stay claimed behind it.
  await enqueue({ action: 'succeed' });
  const ids = await enqueue({ action: 'hang-first-runs', hangRuns: 1, markFile }, 4);
  const config = scriptedConfig(db(), 'grace-over', { batch_size: 10, grace_period: '1s' });
  const { child, exited } = startRunner(config);
  await waitFor('the first job to hang', async () => existsSync(markFile));
  child.kill('SIGTERM');
  const result = await exited;
  t.is(result.code, 143, result.stderr);
  t.regex(result.stderr, /Grace period over: exiting now; handed back 3 claimed job\(s\) that had not started/);
  const rows: Array<{ status: string; attempt_count: number; claimed_by: string | null; leased: boolean }> = await db().admin.query(
    'SELECT status, attempt_count, claimed_by, lease_expires > now() AS leased FROM job WHERE id = ANY($1) ORDER BY id',
    [ids],
  );
  t.like(rows[0], { status: 'RUNNING', attempt_count: 1, leased: true });
  for (const row of rows.slice(1)) t.like(row, { status: 'WAITING', attempt_count: 0, claimed_by: null });
});

test.serial('a second signal exits at once, and the lease covers the job it was running', async (t) => {
  const [id] = await enqueue({ action: 'sleep', ms: 600_000 });
  const config = scriptedConfig(db(), 'sigint-twice');
  const { child, exited, logged } = startRunner(config);
  await waitFor('the job to start', () => runningJob(id!));
  child.kill('SIGINT');
  await logged(/Received SIGINT: claiming no more jobs/);
  child.kill('SIGINT');
  const result = await exited;
  t.is(result.code, 130, result.stderr);
  t.regex(result.stderr, /Received SIGINT again: exiting now/);
  const [row] = await db().admin.query('SELECT status, lease_expires > now() AS leased FROM job WHERE id = $1', [id]);
  t.like(row, { status: 'RUNNING', leased: true });
});

test.serial('concurrency runs several jobs of one process at the same time, with the same outcomes', async (t) => {
  const ids = await enqueue({ action: 'sleep-and-record', ms: 400, meetDir: join(db().dir, 'meet-concurrency'), peers: 2 }, 6);
  const [crash] = await enqueue({ action: 'crash' });
  const config = scriptedConfig(db(), 'concurrency', { concurrency: 3, batch_size: 2 });
  const result = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config } });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /Ran 6 ScriptedJob jobs\.\nINFO {4}1 ScriptedJob jobs did not complete\./);
  t.is((await reloadJob(db().admin.manager, crash!)).status, 'FAILED');
  const spans: Array<{ start: number; end: number }> = (await db().admin.query('SELECT log FROM job WHERE id = ANY($1)', [ids])).map((row: { log: string }) => JSON.parse(row.log));
  // Most jobs running at one moment: more than one means they overlapped.
  const overlap = Math.max(...spans.map((a) => spans.filter((b) => b.start <= a.start && a.start < b.end).length));
  t.true(overlap >= 2, `at most ${overlap} job(s) ran at once`);
});

test.serial('a disabled section says so and exits 0 without touching a job', async (t) => {
  const [id] = await enqueue({ action: 'succeed' });
  const config = scriptedConfig(db(), 'disabled', { enabled: false });
  const result = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config } });
  t.is(result.code, 0);
  t.is(result.stderr, 'INFO    [scripted] is disabled in config (enabled: false); nothing to do.\n');
  const job = await reloadJob(db().admin.manager, id!);
  t.is(job.status, 'WAITING');
  t.is(job.attemptCount, 0);
});
