// Multi-step jobs (lib/services/tasks/) run by the one runner on the one job table.
import test from 'ava';
import { JobRunner } from '../lib/services/job/runner.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { listOops, readOops } from '../lib/services/oops/store.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { createJob, InvalidJobRequest } from '../lib/services/tasks/createJob.ts';
import { ddqState } from '../lib/services/tasks/ddqState.ts';
import { reloadJob } from './helpers/factory.ts';
import { STEP_LOG_TABLE, stepJobs } from './helpers/stepJobs.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'tasks');

test.serial.before(async () => {
  await db().admin.query(STEP_LOG_TABLE);
});

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
  await db().admin.query('DELETE FROM step_log');
});

async function create(name: string, workspace: Record<string, unknown> = {}): Promise<number> {
  return (await createJob(db().admin.manager, stepJobs, name, { workspace })).id;
}

async function stepLog(id: number): Promise<Array<{ step: number; seen: Record<string, unknown> }>> {
  return db().admin.query('SELECT step, seen FROM step_log WHERE job = $1 ORDER BY at', [id]);
}

async function oopsReport(oopsId: string) {
  const path = (await listOops(db().errorDir)).find((file) => file.endsWith(oopsId));
  if (!path) throw new Error(`no report ${oopsId}`);
  return readOops(path);
}

async function stateOf(id: number): Promise<string> {
  const [row] = (await db().admin.query('SELECT state FROM job_state WHERE id = $1', [id])) as Array<{ state: string }>;
  return row!.state;
}

// A step's success must commit with its writes whether the job has its own transaction or
// shares its batch's (a SAVEPOINT per job).
const MODES = [
  { name: 'own transaction', quickJobMs: 0 },
  { name: 'batch transaction', quickJobMs: Infinity },
];

for (const mode of MODES) {
  async function runOnce() {
    const logger = new ListLogger();
    const runner = new JobRunner({
      dataSource: db().admin,
      logger,
      fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-tasks' }),
      quickJobMs: mode.quickJobMs,
    });
    await runner.runAllFromSource(stepJobs);
    runner.logSummary(stepJobs.name);
    return { runner, logger };
  }

  test.serial(`${mode.name}: the workspace passes across 3 steps, one step per run`, async (t) => {
    const id = await create('three_steps', { start: 'here' });
    for (const step of [1, 2, 3]) await runOnce();
    const log = await stepLog(id);
    t.deepEqual(log.map((row) => row.step), [1, 2, 3]);
    t.deepEqual(log[0]!.seen, { start: 'here', created_id: id });
    t.deepEqual(log[1]!.seen, { start: 'here', created_id: id, trail: ['step1'] });
    t.deepEqual(log[2]!.seen, { start: 'here', created_id: id, trail: ['step1', 'step2'] });
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'COMPLETED');
    t.is(job.step, 3);
    t.deepEqual(job.workspace, { start: 'here', created_id: id, trail: ['step1', 'step2', 'step3'] });
    t.is(await stateOf(id), 'COMPLETED');
  });

  test.serial(`${mode.name}: after a step the job is READY at the next step, unclaimed, its attempts reset`, async (t) => {
    const id = await create('three_steps');
    t.is(await stateOf(id), 'NEW');
    const { runner, logger } = await runOnce();
    const job = await reloadJob(db().admin.manager, id);
    t.like(job, { status: 'WAITING', step: 1, attemptCount: 0, claimedBy: null, leaseExpires: null, dateFinished: null });
    t.is(ddqState(job), 'READY');
    t.is(await stateOf(id), 'READY');
    t.deepEqual(runner.results.map((result) => result.outcome), ['advanced']);
    t.true(logger.lines.includes('INFO Ran 1 three_steps jobs.'), logger.lines.join('\n'));
  });

  test.serial(`${mode.name}: a step that throws fails the job at that step, with the failure hook's workspace and an OOPS`, async (t) => {
    const id = await create('three_steps', { fail_at: 2 });
    await runOnce();
    const { runner } = await runOnce();
    await runOnce();
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'FAILED');
    t.is(job.step, 1, 'the failed step did not advance');
    t.is(await stateOf(id), 'FAILED');
    // The hook saw the workspace the last completed step left (step 2's change rolled back).
    t.deepEqual(job.workspace, { fail_at: 2, created_id: id, trail: ['step1'], failed_step: 2, failure: 'step 2 failed' });
    t.deepEqual((await stepLog(id)).map((row) => row.step), [1], 'step 1 ran once; step 2 rolled back');
    t.is(job.lastError, 'Error: step 2 failed');
    t.deepEqual(runner.oopsIds, [job.lastOops]);
    const report = await oopsReport(job.lastOops!);
    t.true(report.req_vars.some(([key, value]) => key === 'job_step' && value === '2 of 3'));
  });

  test.serial(`${mode.name}: a retry error retries the same step, and earlier steps are not run again`, async (t) => {
    const id = await create('three_steps', { retry_at: 2 });
    await runOnce();
    await runOnce();
    let job = await reloadJob(db().admin.manager, id);
    t.like(job, { status: 'WAITING', step: 1, attemptCount: 1, lastError: 'StepRetry: step 2: try again' });
    t.is(await stateOf(id), 'READY');
    await runOnce();
    await runOnce();
    job = await reloadJob(db().admin.manager, id);
    t.like(job, { status: 'COMPLETED', step: 3 });
    t.deepEqual((await stepLog(id)).map((row) => row.step), [1, 2, 3]);
  });

  test.serial(`${mode.name}: a user error fails the job with the failure hook's workspace and no OOPS`, async (t) => {
    const id = await create('three_steps', { user_error_at: 1 });
    const { runner } = await runOnce();
    const job = await reloadJob(db().admin.manager, id);
    t.like(job, { status: 'FAILED', step: 0, lastOops: null });
    t.is(job.workspace?.failure, 'step 1 refused');
    t.deepEqual(runner.oopsIds, []);
  });

  test.serial(`${mode.name}: a failure hook that throws gets its own OOPS, its writes roll back, and the job is FAILED`, async (t) => {
    const id = await create('hook_throws', { fail_at: 1 });
    const { runner, logger } = await runOnce();
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'FAILED');
    t.deepEqual(job.workspace, { fail_at: 1 }, 'the throwing hook\'s workspace edit was not saved');
    t.deepEqual(await stepLog(id), [], 'neither the step\'s nor the hook\'s insert committed');
    t.is(runner.oopsIds.length, 2);
    const hookOops = runner.oopsIds.find((oopsId) => oopsId !== job.lastOops)!;
    const report = await oopsReport(hookOops);
    t.is(report.value, 'failure hook broke');
    t.true(report.req_vars.some(([key, value]) => key === 'job_oops' && value === job.lastOops));
    t.true(logger.lines.some((line) => line.startsWith('WARNING The failure hook of hook_throws') && line.includes(hookOops)));
  });
}

test.serial('the creation hook sees the job id and its workspace edits are kept', async (t) => {
  const id = await create('three_steps', { a: 1 });
  const job = await reloadJob(db().admin.manager, id);
  t.deepEqual(job.workspace, { a: 1, created_id: id });
  t.like(job, { status: 'WAITING', step: 0, queueName: 'default', jobType: 'three_steps', maxRetries: 1 });
});

test.serial('a creation hook that throws creates no job, even when the caller commits anyway', async (t) => {
  await db().admin.transaction(async (manager) => {
    await t.throwsAsync(createJob(manager, stepJobs, 'hook_throws', { queueName: 'refused' }), { message: 'creation refused' });
  });
  t.deepEqual(await db().admin.query('SELECT id FROM job'), []);
});

test.serial('createJob refuses an unknown job name, listing the known ones, and a workspace that is not an object', async (t) => {
  await t.throwsAsync(createJob(db().admin.manager, stepJobs, 'nope'), { instanceOf: InvalidJobRequest, message: "unknown job name 'nope'; known job names: three_steps, hook_throws" });
  await t.throwsAsync(createJob(db().admin.manager, stepJobs, 'three_steps', { workspace: [1] as unknown as Record<string, unknown> }), { instanceOf: InvalidJobRequest });
  t.deepEqual(await db().admin.query('SELECT id FROM job'), []);
});

test('ddqState maps the status and the step to the seed\'s states', (t) => {
  t.is(ddqState({ status: 'WAITING', step: 0, attemptCount: 0 }), 'NEW');
  t.is(ddqState({ status: 'WAITING', step: 0, attemptCount: 1 }), 'READY');
  t.is(ddqState({ status: 'WAITING', step: 2, attemptCount: 0 }), 'READY');
  t.is(ddqState({ status: 'RUNNING', step: 1, attemptCount: 1 }), 'PROCESSING');
  t.is(ddqState({ status: 'COMPLETED', step: 3, attemptCount: 1 }), 'COMPLETED');
  t.is(ddqState({ status: 'FAILED', step: 1, attemptCount: 1 }), 'FAILED');
  t.is(ddqState({ status: 'SUSPENDED', step: 1, attemptCount: 0 }), 'SUSPENDED');
});

test.serial('the job_state view agrees with ddqState for every status', async (t) => {
  const cases = [
    ['WAITING', 0, 0], ['WAITING', 0, 1], ['WAITING', 2, 0], ['RUNNING', 1, 1], ['COMPLETED', 3, 1], ['FAILED', 1, 1], ['SUSPENDED', 1, 0],
  ] as const;
  for (const [status, step, attemptCount] of cases) {
    const [{ id }] = (await db().admin.query(
      `INSERT INTO job (job_type, status, step, attempt_count) VALUES ('three_steps', $1, $2, $3) RETURNING id`, [status, step, attemptCount])) as Array<{ id: string }>;
    t.is(await stateOf(Number(id)), ddqState({ status, step, attemptCount }), `${status} step ${step} attempts ${attemptCount}`);
  }
});

test.serial('a multi-step job a dead runner left out of tries fails through its failure hook: the hook\'s workspace commits with FAILED', async (t) => {
  const id = await create('three_steps', { start: 'here' });
  // Step 1 done; its runner died holding step 2 for the last time it may (max_retries 1: 2 deaths).
  await db().admin.query(
    `UPDATE job SET status = 'RUNNING', step = 1, attempt_count = 1, runner_deaths = 1, claimed_by = 'gone.example:1',
       lease_expires = now() - interval '1 minute', workspace = workspace || '{"trail": ["step1"]}' WHERE id = $1`,
    [id],
  );
  const logger = new ListLogger();
  const runner = new JobRunner({ dataSource: db().admin, logger, fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-tasks' }) });
  await runner.runAllFromSource(stepJobs);
  const job = await reloadJob(db().admin.manager, id);
  t.like(job, { status: 'FAILED', step: 1, runnerDeaths: 2, leaseExpires: null });
  t.is(job.claimedBy, runner.owner, 'the runner that failed it');
  t.regex(job.lastError!, /^RunnerDied: The runner gone\.example:1 died while running job \d+/);
  t.truthy(job.lastOops);
  t.truthy(job.dateFinished);
  t.like(job.workspace, { start: 'here', trail: ['step1'], failed_step: 2 });
  t.regex(String(job.workspace!.failure), /has no tries left/);
  t.deepEqual(await stepLog(id), [], 'no step ran');
  t.true(logger.lines.some((line) => line.startsWith('WARNING') && line.includes(`Job ${id} (three_steps) was left running by gone.example:1 and has no tries left: FAILED`)));
});
