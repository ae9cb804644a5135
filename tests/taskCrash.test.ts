// A multi-step job whose runner is killed (SIGKILL, a real process) during a step resumes at
// that step: the steps that committed before are not run again.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { fromRoot } from '../lib/services/paths.ts';
import { reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { STEP_LOG_TABLE } from './helpers/stepJobs.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'taskcrash');

test.serial.before(async () => {
  await db().admin.query(STEP_LOG_TABLE);
});

/** A config with a [steps] section running tests/helpers/stepJobs.ts's jobs as postgres. */
function stepsConfig(extra: string[] = []): string {
  const file = join(db().dir, 'steps.ini');
  writeFileSync(file, [
    '[meta]', `extends: ${db().configFile}`, '',
    '[steps]', 'link: job_runner', 'dbuser: postgres', 'source_interface: tests.helpers.stepJobs.IStepJobSource', ...extra, '',
  ].join('\n'));
  return file;
}

test.serial('a runner killed during step 2 leaves step 1 committed; the next runs resume at step 2 and never rerun step 1', async (t) => {
  const config = stepsConfig();
  const env = { JOBS_CONFIG: config };
  const blockFile = join(db().dir, 'block-step-2');
  const created = await runScript('cronscripts/create_job.ts', ['three_steps', '--workspace', JSON.stringify({ block_at: 2, block_file: blockFile })], { env });
  t.is(created.code, 0, created.stderr);
  const id = Number(created.stdout.trim());

  const first = await runScript('cronscripts/run_jobs.ts', ['steps'], { env });
  t.is(first.code, 0, first.stderr);
  t.like(await reloadJob(db().admin.manager, id), { status: 'WAITING', step: 1 });

  // Step 2 blocks while the file exists: the runner is killed in the middle of it.
  writeFileSync(blockFile, '');
  const child = spawn(fromRoot('cronscripts/run_jobs.ts'), ['steps'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  // RUNNING at step 1 (the second task), and the task has started: it holds an uncommitted row.
  await waitFor('step 2 to be running', async () => {
    const [row] = (await db().admin.query(`SELECT status, step FROM job WHERE id = $1`, [id])) as Array<{ status: string; step: number }>;
    const [{ busy }] = (await db().admin.query(`SELECT count(*)::integer AS busy FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'step_log' AND l.mode = 'RowExclusiveLock'`)) as Array<{ busy: number }>;
    return row?.status === 'RUNNING' && row.step === 1 && busy > 0;
  }, 60_000);
  child.kill('SIGKILL');
  t.is(await exited, 'SIGKILL');
  rmSync(blockFile);
  const [left] = (await db().admin.query('SELECT status, step, state FROM job_state WHERE id = $1', [id])) as Array<Record<string, unknown>>;
  t.like(left, { status: 'RUNNING', step: 1, state: 'PROCESSING' });
  t.deepEqual((await db().admin.query('SELECT step FROM step_log WHERE job = $1', [id])).map((row: { step: number }) => row.step), [1], 'step 2\'s writes died with the runner');

  // The dead runner was of this host: the next run sees its process gone and takes the job
  // back at once, its lease still live.
  const second = await runScript('cronscripts/run_jobs.ts', ['steps'], { env });
  t.is(second.code, 0, second.stderr);
  t.regex(second.stderr, /was left running by .*, whose process is gone; requeued/);
  t.like(await reloadJob(db().admin.manager, id), { status: 'WAITING', step: 2 });
  const third = await runScript('cronscripts/run_jobs.ts', ['steps'], { env });
  t.is(third.code, 0, third.stderr);

  const job = await reloadJob(db().admin.manager, id);
  t.like(job, { status: 'COMPLETED', step: 3 });
  t.deepEqual(job.workspace?.trail, ['step1', 'step2', 'step3']);
  const log = (await db().admin.query('SELECT step, seen FROM step_log WHERE job = $1 ORDER BY at', [id])) as Array<{ step: number; seen: { trail?: string[] } }>;
  t.deepEqual(log.map((row) => row.step), [1, 2, 3], 'each step committed once; step 1 was not run again');
  t.deepEqual(log[1]!.seen.trail, ['step1'], 'the resumed step 2 got the workspace step 1 left');
});

test.serial('with isolated: true each step runs in a child process and the job advances the same way', async (t) => {
  const env = { JOBS_CONFIG: stepsConfig(['isolated: true']) };
  const created = await runScript('cronscripts/create_job.ts', ['three_steps', '--workspace', '{"isolated": true}'], { env });
  t.is(created.code, 0, created.stderr);
  const id = Number(created.stdout.trim());
  for (const step of [1, 2, 3]) {
    const run = await runScript('cronscripts/run_jobs.ts', ['steps'], { env });
    t.is(run.code, 0, run.stderr);
    t.true(run.stderr.includes('INFO    Ran 1 three_steps jobs.'), run.stderr);
    t.is((await reloadJob(db().admin.manager, id)).step, step);
  }
  const job = await reloadJob(db().admin.manager, id);
  t.like(job, { status: 'COMPLETED', step: 3 });
  t.deepEqual(job.workspace, { isolated: true, created_id: id, trail: ['step1', 'step2', 'step3'] });
});
