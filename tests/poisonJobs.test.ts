// Poison jobs fail alone: a row no job class can load, and a job whose code takes its whole
// runner process down, with real run_jobs processes run again and again as cron would.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import { listOops, readOops } from '../lib/services/oops/store.ts';
import type { OopsReport } from '../lib/services/oops/report.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { makeFoo } from './helpers/factory.ts';
import { runScript, type ScriptResult } from './helpers/runScript.ts';
import { ScriptedJob, type ScriptedPayload } from './helpers/scriptedJob.ts';
import { scriptedConfig, waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'poison');

test.serial.before(async () => {
  await db().admin.query('CREATE TABLE job_run (job bigint NOT NULL, pid integer NOT NULL)');
});

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
  await db().admin.query('DELETE FROM job_run');
});

async function enqueue(payload: ScriptedPayload, count = 1): Promise<number[]> {
  return ScriptedJob.createMany(db().admin.manager, Array.from({ length: count }, () => payload));
}

/** The OOPS reports filed since `before`, by job id. */
async function oopsByJob(before: string[]): Promise<Map<number, OopsReport>> {
  const reports = new Map<number, OopsReport>();
  for (const path of (await listOops(db().errorDir)).filter((path) => !before.includes(path))) {
    const report = await readOops(path);
    const id = report.req_vars.find(([key]) => key === 'job_id')?.[1];
    if (id) reports.set(Number(id), report);
  }
  return reports;
}

test.serial('a row whose domain job_type no class knows fails alone with an OOPS naming it, and the other jobs of its batch run', async (t) => {
  const manager = db().admin.manager;
  const jobs = [];
  for (let i = 0; i < 6; i++) jobs.push(await DoFooJob.create(manager, await makeFoo(manager)));
  // The third: claimed in one batch with the four after it (the first is claimed alone).
  const bad = jobs[2]!.job.id;
  await db().admin.query(`UPDATE foojob SET job_type = 'NO_SUCH_TYPE' WHERE job = $1`, [bad]);
  const before = await listOops(db().errorDir);
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo'], { env: { JOBS_CONFIG: db().configFile } });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, new RegExp(`Job ${bad} \\(DoFooJob\\) could not be loaded to run: no DoFooJob class is registered for foojob\\.job_type NO_SUCH_TYPE \\(it runs DO_FOO\\); FAILED\\. Job resulted in OOPS: OOPS-`));
  t.regex(result.stderr, /Ran 5 DoFooJob jobs\./);
  const rows: Array<{ id: string; status: string }> = await db().admin.query('SELECT id, status FROM job ORDER BY id');
  t.deepEqual(
    rows.map((row) => [Number(row.id), row.status]),
    jobs.map((job) => [job.job.id, job.job.id === bad ? 'FAILED' : 'COMPLETED']),
  );
  const reports = await oopsByJob(before);
  t.deepEqual([...reports.keys()], [bad]);
  const report = reports.get(bad)!;
  t.deepEqual(report.req_vars, [['job_id', String(bad)], ['job_type', 'DoFooJob'], ['job_attempt', '1']]);
  t.regex(report.value, /NO_SUCH_TYPE/);
  const [row] = await db().admin.query('SELECT last_error, last_oops FROM job WHERE id = $1', [bad]);
  t.is(row.last_oops, report.id);
  t.regex(row.last_error, /NO_SUCH_TYPE/);
});

/** Run the section again and again, as cron would, until no job is left to run. */
async function runLikeCron(config: string, ids: number[], maxRuns = 60): Promise<ScriptResult[]> {
  const results: ScriptResult[] = [];
  for (let run = 0; run < maxRuns; run++) {
    const [left] = await db().admin.query(`SELECT count(*)::integer AS n FROM job WHERE id = ANY($1) AND status IN ('WAITING', 'RUNNING')`, [ids]);
    if (left.n === 0) return results;
    results.push(await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config }, timeoutMs: 60_000 }));
  }
  throw new Error(`jobs were still waiting or running after ${maxRuns} runs`);
}

for (const [label, keys] of [
  ['one job at a time', {}],
  ['concurrency 4', { concurrency: 4 }],
] as const) {
  test.serial(`jobs that exit, throw uncaught or leave a rejection unhandled fail alone, and every healthy job completes once on attempt 1: ${label}`, async (t) => {
    // Poison among healthy jobs, in the batches they are claimed in.
    const healthy: number[] = [];
    const poison = new Map<number, RegExp>();
    // In this order the first two crash the runner's own process: it hands back every job it
    // holds, the running ones as suspects, and exits 1. The third kills it outright, and its
    // jobs are taken back when their lease passes. Suspects then run one by one in a worker
    // process, where each poison job shows what it does.
    const kinds: Array<[ScriptedPayload['action'], RegExp]> = [
      ['throw-uncaught', /^WorkerDied: The job crashed its worker process with an uncaught exception: RangeError: thrown in a timer, outside run\(\)$/],
      ['reject-unhandled', /^WorkerDied: The job crashed its worker process with an unhandled rejection: SyntaxError: rejected, and nobody listened$/],
      ['exit', /^WorkerDied: The worker process running the job died \(exit code 1, signal null\)/],
    ];
    for (const [action, said] of kinds) {
      healthy.push(...(await enqueue({ action: 'count' }, 9)));
      poison.set((await enqueue({ action }))[0]!, said);
    }
    const before = await listOops(db().errorDir);
    // A short lease: a dead run's jobs are taken back within a second.
    const config = scriptedConfig(db(), `poison-${label.replace(/\W/g, '')}`, { lease_duration: '1s', ...keys });
    const results = await runLikeCron(config, [...healthy, ...poison.keys()]);
    if (process.env.POISON_TEST_LOG) for (const result of results) t.log(result.stderr);
    const stderr = results.map((result) => result.stderr).join('');
    // One at a time, the first poison job met crashes the runner's own process. (With
    // concurrency the order of jobs varies: a runner may die of process.exit first, and the
    // crashing jobs then only ever run in a worker process.)
    if (label === 'one job at a time') t.regex(stderr, /(An uncaught exception \(RangeError: thrown in a timer, outside run\(\)\)|An unhandled rejection \(SyntaxError: rejected, and nobody listened\)) crashed this runner while job\(s\) \d+.* ran; handed back \d+ job\(s\), the running ones to run on their own\. Runner resulted in OOPS: OOPS-/);
    t.log(`runs: ${results.length}, exit codes: ${results.map((result) => result.code).join(' ')}`);
    const [states] = await db().admin.query(
      `SELECT count(*)::integer AS jobs, count(*) FILTER (WHERE status = 'COMPLETED' AND attempt_count = 1)::integer AS done_once FROM job WHERE id = ANY($1)`,
      [healthy],
    );
    const others = await db().admin.query(`SELECT id, status, attempt_count, runner_deaths FROM job WHERE id = ANY($1) AND NOT (status = 'COMPLETED' AND attempt_count = 1)`, [healthy]);
    t.deepEqual(others, [], 'healthy jobs not COMPLETED on attempt 1');
    t.is(states.done_once, healthy.length);
    const [runs] = await db().admin.query('SELECT count(*)::integer AS runs, count(DISTINCT job)::integer AS jobs FROM job_run');
    t.deepEqual(runs, { runs: healthy.length, jobs: healthy.length });
    const reports = await oopsByJob(before);
    for (const [id, said] of poison) {
      const [row] = await db().admin.query('SELECT status FROM job WHERE id = $1', [id]);
      t.is(row.status, 'FAILED', `poison job ${id}`);
      const report = reports.get(id);
      t.truthy(report, `an OOPS for poison job ${id}`);
      t.regex(`${report?.type}: ${report?.value}`, said);
    }
    t.is(reports.size, poison.size);
  });
}

test.serial("a busy runner takes over a killed runner's jobs within its lease and a heartbeat, and runs each exactly once", async (t) => {
  const leaseMs = 2000;
  const config = scriptedConfig(db(), 'takeover', { lease_duration: '2s' });
  const start = (host: string) => {
    const child = spawn(fromRoot('cronscripts/run_jobs.ts'), ['scripted', '--lock-dir', join(db().dir, host)], {
      env: { ...process.env, JOBS_CONFIG: config },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<string>((resolve) => child.on('close', () => resolve(stderr)));
    return { child, exited };
  };
  // Host A is busy with a long job for the whole test: its lock turns every other start away.
  const [long] = await enqueue({ action: 'sleep', ms: 600_000 });
  const hostA = start('hostA');
  await waitFor('host A to start its long job', async () => (await db().admin.query(`SELECT 1 FROM job WHERE id = $1 AND status = 'RUNNING'`, [long]))[0]);
  // Host B takes the rest: one quick job alone, then the others in one batch, the last of
  // which hangs inside the batch's open transaction.
  const counted = await enqueue({ action: 'count' }, 6);
  const markFile = join(db().dir, 'takeover-hang');
  const [hanging] = await enqueue({ action: 'hang-first-runs', hangRuns: 1, markFile });
  const hostB = start('hostB');
  await waitFor('host B to hang in its batch', async () => existsSync(markFile));
  const [held] = await db().admin.query(`SELECT count(*)::integer AS n FROM job WHERE id = ANY($1) AND status = 'RUNNING'`, [[...counted, hanging]]);
  t.true(held.n >= 2, `host B held ${held.n} jobs`);
  // Both "hosts" are processes of this machine, where a runner of the same host sees at once
  // that another one's process is gone. Host B's jobs are made to look claimed from another
  // machine, whose death only the passing of its lease can tell.
  await db().admin.query(`UPDATE job SET claimed_by = 'elsewhere:' || split_part(claimed_by, ':', 2) WHERE id = ANY($1) AND status = 'RUNNING'`, [[...counted, hanging]]);
  hostB.child.kill('SIGKILL');
  await hostB.exited;
  const killedAt = Date.now();
  const ids = [...counted, hanging!];
  await waitFor(
    "host B's jobs to be run again",
    async () => (await db().admin.query(`SELECT 1 FROM job WHERE id = ANY($1) AND status <> 'COMPLETED'`, [ids])).length === 0,
    60_000,
  );
  const elapsedMs = Date.now() - killedAt;
  // The README's bound: lease_duration, plus a third of it (the heartbeat that finds the lease
  // passed), plus the start of a worker process; 10 s more for a loaded machine.
  t.true(elapsedMs < leaseMs + leaseMs / 3 + 10_000, `ran again ${elapsedMs} ms after the kill`);
  t.log(`host B's jobs ran again ${elapsedMs} ms after the kill (lease ${leaseMs} ms)`);
  // Host A was still busy with its long job all along: it did this while running.
  const [a] = await db().admin.query('SELECT status FROM job WHERE id = $1', [long]);
  t.is(a.status, 'RUNNING');
  const runs: Array<{ job: string; n: number }> = await db().admin.query('SELECT job, count(*)::integer AS n FROM job_run GROUP BY job ORDER BY job');
  t.deepEqual(runs.map((row) => [Number(row.job), row.n]), counted.map((id) => [id, 1]));
  const attempts: Array<{ attempt_count: number }> = await db().admin.query('SELECT attempt_count FROM job WHERE id = ANY($1)', [ids]);
  t.deepEqual(attempts.map((row) => row.attempt_count), ids.map(() => 1));
  hostA.child.kill('SIGKILL');
  t.regex(await hostA.exited, /was left running by .*, whose lease expired; requeued to run on its own/);
});
