// Several cronscripts/worker.ts processes on one queue share it safely: every job runs exactly
// once, and the workers really run side by side.
import { join } from 'node:path';
import test from 'ava';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { scriptedConfig, waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';
import { startWorker, type WorkerProcess } from './helpers/workerProcess.ts';

const db = useTestDatabase(test, 'workers_share');
const workers: WorkerProcess[] = [];

test.serial.before(async () => {
  await db().admin.query('CREATE TABLE job_run (job bigint NOT NULL, pid integer NOT NULL)');
});

test.after.always(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
});

test.serial('3 workers on one queue run 300 jobs, each exactly once, side by side', async (t) => {
  const config = scriptedConfig(db(), 'share');
  for (let n = 0; n < 3; n++) workers.push(startWorker(config, ['--poll', '10m']));
  for (const worker of workers) await worker.waitForLine(/Worker ready/);
  // The 3 oldest jobs each wait until all 3 have started: they can only end if 3 workers
  // (one job at a time each) hold one at once. Then 300 that count their committed runs.
  const meetDir = join(db().dir, 'meet');
  const meeting = await ScriptedJob.createMany(db().admin.manager, Array.from({ length: 3 }, () => ({ action: 'sleep-and-record' as const, meetDir, peers: 3, ms: 10 })));
  const counted = await ScriptedJob.createMany(db().admin.manager, Array.from({ length: 300 }, () => ({ action: 'count' as const })));
  const all = [...meeting, ...counted];
  await waitFor('every job to complete', async () => {
    const [row] = (await db().admin.query(`SELECT count(*)::integer AS n FROM job WHERE id = ANY($1) AND status = 'COMPLETED'`, [all])) as Array<{ n: number }>;
    return row!.n === all.length;
  });
  const [runs] = (await db().admin.query('SELECT count(*)::integer AS runs, count(DISTINCT job)::integer AS jobs FROM job_run WHERE job = ANY($1)', [counted])) as Array<{ runs: number; jobs: number }>;
  t.deepEqual(runs, { runs: 300, jobs: 300 });
  const [attempts] = (await db().admin.query('SELECT count(*)::integer AS n FROM job WHERE id = ANY($1) AND attempt_count = 1', [all])) as Array<{ n: number }>;
  t.is(attempts!.n, all.length);
  const meetingPids = (await db().admin.query('SELECT DISTINCT (log::jsonb ->> \'pid\') AS pid FROM job WHERE id = ANY($1)', [meeting])) as Array<{ pid: string }>;
  const workerPids = new Set(workers.map((worker) => String(worker.child.pid)));
  // Three different workers held one of them each (the launcher execs node: the pid is the worker's).
  t.is(meetingPids.length, 3);
  for (const { pid } of meetingPids) t.true(workerPids.has(pid), `pid ${pid} is not a worker's`);
  const perWorker = (await db().admin.query('SELECT pid, count(*)::integer AS n FROM job_run GROUP BY pid ORDER BY pid')) as Array<{ pid: number; n: number }>;
  t.log(`counted jobs per worker process: ${perWorker.map((row) => row.n).join(', ')}`);
  for (const worker of workers) worker.child.kill('SIGTERM');
  for (const worker of workers) t.is(await worker.exited, 143, worker.output());
  for (const worker of workers) t.notRegex(worker.output(), /WARNING|ERROR/, worker.output());
});
