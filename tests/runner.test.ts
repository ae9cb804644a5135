import test from 'ava';
import { FooEntity } from '../lib/component/foo/model/foo.ts';
import { JobRunner } from '../lib/services/job/runner.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { listOops, readOops } from '../lib/services/oops/store.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { makeFoo, reloadJob } from './helpers/factory.ts';
import { ScriptedJob, type ScriptedPayload } from './helpers/scriptedJob.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'runner');

async function enqueue(payload: ScriptedPayload, maxRetries = 0): Promise<number> {
  const job = await ScriptedJob.create(db().admin.manager, payload);
  if (maxRetries) await db().admin.query('UPDATE job SET max_retries = $2 WHERE id = $1', [job.job.id, maxRetries]);
  return job.job.id;
}

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

// Every outcome must hold whether a job has its own transaction or shares its batch's.
const MODES = [
  { name: 'own transaction', quickJobMs: 0 },
  { name: 'batch transaction', quickJobMs: Infinity },
];

for (const mode of MODES) {
  function makeRunner() {
    const logger = new ListLogger();
    const runner = new JobRunner({
      dataSource: db().admin,
      logger,
      fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-runner' }),
      quickJobMs: mode.quickJobMs,
    });
    return { runner, logger };
  }

  test.serial(`${mode.name}: a job that succeeds is COMPLETED with its writes committed`, async (t) => {
    const foo = await makeFoo(db().admin.manager);
    const id = await enqueue({ action: 'succeed', fooId: foo.id });
    const { runner, logger } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    runner.logSummary('ScriptedJob');
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'COMPLETED');
    t.is(job.attemptCount, 1);
    t.truthy(job.dateFinished);
    t.is(job.leaseExpires, null);
    t.is((await db().admin.manager.findOneByOrFail(FooEntity, { id: foo.id })).someAttribute, 'done');
    t.deepEqual(runner.completedJobs.map((j) => j.job.id), [id]);
    t.true(logger.lines.includes(`DEBUG Running ScriptedJob (ID ${id}) in status Waiting`));
    t.true(logger.lines.includes('INFO Ran 1 ScriptedJob jobs.'));
  });

  test.serial(`${mode.name}: retry error under max_retries requeues the job after retry_delay, with no OOPS`, async (t) => {
    const id = await enqueue({ action: 'retry' }, 2);
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'WAITING');
    t.is(job.attemptCount, 1);
    t.is(job.leaseExpires, null);
    const [{ delay }] = await db().admin.query('SELECT EXTRACT(EPOCH FROM scheduled_start - date_finished) AS delay FROM job WHERE id = $1', [id]);
    t.is(Math.round(Number(delay)), 60);
    t.deepEqual(runner.oopsIds, []);
    t.is(runner.incompleteJobs.length, 1);
  });

  test.serial(`${mode.name}: a requeued job is not run again in the same run`, async (t) => {
    // With no retry delay the job is ready again at once; the runner must still not loop on it.
    const id = await enqueue({ action: 'retry', retryDelayMs: 0 }, 5);
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.attemptCount, 1);
    t.is(job.status, 'WAITING');
    t.deepEqual((await ScriptedJob.iterReady(db().admin.manager)).map((j) => j.job.id), [id]);
  });

  test.serial(`${mode.name}: retry error over max_retries fails the job with an OOPS`, async (t) => {
    const id = await enqueue({ action: 'retry' }, 1);
    await db().admin.query('UPDATE job SET attempt_count = 1 WHERE id = $1', [id]);
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'FAILED');
    t.is(job.attemptCount, 2);
    t.is(runner.oopsIds.length, 1);
  });

  test.serial(`${mode.name}: user error fails the job, notifies the user and files no OOPS`, async (t) => {
    const id = await enqueue({ action: 'user-error' });
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    t.is((await reloadJob(db().admin.manager, id)).status, 'FAILED');
    t.deepEqual(runner.oopsIds, []);
    t.deepEqual(ScriptedJob.notifiedUserErrors.filter((n) => n.jobId === id), [{ jobId: id, message: 'the foo is not frozzlable' }]);
  });

  test.serial(`${mode.name}: SuspendJob suspends the job, and resume makes it ready again`, async (t) => {
    const id = await enqueue({ action: 'suspend' });
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'SUSPENDED');
    t.deepEqual(runner.oopsIds, []);
    job.resume();
    await db().admin.manager.save(job);
    t.deepEqual((await ScriptedJob.iterReady(db().admin.manager)).map((j) => j.job.id), [id]);
  });

  test.serial(`${mode.name}: any other error rolls back the job's writes, fails it, files an OOPS and calls notifyOops`, async (t) => {
    const foo = await makeFoo(db().admin.manager, { someAttribute: 'untouched' });
    const id = await enqueue({ action: 'write-then-crash', fooId: foo.id });
    const { runner, logger } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    t.is((await reloadJob(db().admin.manager, id)).status, 'FAILED');
    t.is((await db().admin.manager.findOneByOrFail(FooEntity, { id: foo.id })).someAttribute, 'untouched');
    t.is(runner.oopsIds.length, 1);
    const oopsId = runner.oopsIds[0]!;
    t.true(logger.lines.includes(`WARNING Job resulted in OOPS: ${oopsId} (ScriptedJob (ID ${id}): Error: crashed after writing)`));
    t.deepEqual(ScriptedJob.notifiedOops.filter((n) => n.jobId === id), [{ jobId: id, oopsId }]);
    const path = (await listOops(db().errorDir)).find((p) => p.endsWith(oopsId));
    t.truthy(path);
    const report = await readOops(path!);
    t.is(report.type, 'Error');
    t.is(report.value, 'crashed after writing');
    t.is(report.reporter, 'TEST-runner');
    t.deepEqual(report.req_vars.find(([key]) => key === 'job_id'), ['job_id', String(id)]);
    t.regex(report.traceback, /crashed after writing/);
  });

  test.serial(`${mode.name}: a job whose lease is held by another runner is skipped, counted incomplete, no OOPS`, async (t) => {
    const id = await enqueue({ action: 'succeed' });
    const [job] = await ScriptedJob.iterReady(db().admin.manager);
    // Another runner takes the lease between our iterReady and our run.
    await db().admin.query(`UPDATE job SET lease_expires = now() + interval '5 minutes' WHERE id = $1`, [id]);
    const { runner } = makeRunner();
    await runner.runJobs([job!]);
    t.is((await reloadJob(db().admin.manager, id)).status, 'WAITING');
    t.is(runner.incompleteJobs.length, 1);
    t.is(runner.completedJobs.length, 0);
    t.deepEqual(runner.oopsIds, []);
  });

  test.serial(`${mode.name}: a job taken over by another runner while it ran has its writes rolled back`, async (t) => {
    const foo = await makeFoo(db().admin.manager, { someAttribute: 'untouched' });
    await enqueue({ action: 'succeed' });
    const id = await enqueue({ action: 'stolen', fooId: foo.id });
    const { runner, logger } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'RUNNING');
    t.is(job.claimedBy, 'thief:1');
    t.is((await db().admin.manager.findOneByOrFail(FooEntity, { id: foo.id })).someAttribute, 'untouched');
    t.true(runner.results.some((result) => result.job.job.id === id && result.outcome === 'lost'));
    t.deepEqual(runner.oopsIds, []);
    t.true(logger.lines.some((line) => /taken over by another runner/.test(line)));
  });

  test.serial(`${mode.name}: jobs scheduled for later are left for later`, async (t) => {
    const id = await enqueue({ action: 'succeed' });
    await db().admin.query(`UPDATE job SET scheduled_start = now() + interval '1 hour' WHERE id = $1`, [id]);
    const { runner, logger } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    runner.logSummary('ScriptedJob');
    t.is((await reloadJob(db().admin.manager, id)).status, 'WAITING');
    t.true(logger.lines.includes('INFO Ran 0 ScriptedJob jobs.'));
  });

  test.serial(`${mode.name}: the summary counts jobs that did not complete`, async (t) => {
    await enqueue({ action: 'succeed' });
    await enqueue({ action: 'crash' });
    await enqueue({ action: 'user-error' });
    const { runner, logger } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    runner.logSummary('ScriptedJob');
    t.true(logger.lines.includes('INFO Ran 1 ScriptedJob jobs.'));
    t.true(logger.lines.includes('INFO 2 ScriptedJob jobs did not complete.'));
  });

  test.serial(`${mode.name}: a job that fails with an OOPS has the OOPS id and its error in its row, and the report is on disk`, async (t) => {
    const id = await enqueue({ action: 'crash' });
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'FAILED');
    t.is(job.lastError, 'TypeError: cannot read properties of undefined');
    t.deepEqual(runner.oopsIds, [job.lastOops]);
    const path = (await listOops(db().errorDir)).find((p) => p.endsWith(`/${job.lastOops}`));
    t.truthy(path, 'the report named by last_oops exists');
    t.is((await readOops(path!)).value, 'cannot read properties of undefined');
  });

  test.serial(`${mode.name}: a requeued job has its error in its row and no OOPS id`, async (t) => {
    const id = await enqueue({ action: 'retry' }, 2);
    await db().admin.query(`UPDATE job SET last_oops = 'OOPS-earlier' WHERE id = $1`, [id]);
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'WAITING');
    t.is(job.lastError, 'TemporaryProblem: the service is busy');
    t.is(job.lastOops, null);
  });

  test.serial(`${mode.name}: a job failed by a user error has its error in its row and no OOPS id`, async (t) => {
    const id = await enqueue({ action: 'user-error' });
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'FAILED');
    t.is(job.lastError, 'BadRequest: the foo is not frozzlable');
    t.is(job.lastOops, null);
  });

  test.serial(`${mode.name}: a job that completes after a failed attempt keeps that attempt's error and OOPS id`, async (t) => {
    const id = await enqueue({ action: 'succeed' });
    await db().admin.query(`UPDATE job SET last_error = 'TypeError: earlier', last_oops = 'OOPS-earlier' WHERE id = $1`, [id]);
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'COMPLETED');
    t.is(job.lastError, 'TypeError: earlier');
    t.is(job.lastOops, 'OOPS-earlier');
  });

  test.serial(`${mode.name}: a notifyOops that throws files its own OOPS, and the job and the other jobs of the run keep their outcomes`, async (t) => {
    const foo = await makeFoo(db().admin.manager);
    const before = await enqueue({ action: 'succeed', fooId: foo.id });
    const failing = await enqueue({ action: 'crash', notifyThrows: true });
    const after = await enqueue({ action: 'succeed' });
    const { runner, logger } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    t.is((await reloadJob(db().admin.manager, before)).status, 'COMPLETED');
    t.is((await db().admin.manager.findOneByOrFail(FooEntity, { id: foo.id })).someAttribute, 'done');
    t.is((await reloadJob(db().admin.manager, after)).status, 'COMPLETED');
    const job = await reloadJob(db().admin.manager, failing);
    t.is(job.status, 'FAILED');
    t.is(runner.oopsIds.length, 2);
    const [jobOops, notificationOops] = runner.oopsIds;
    t.is(job.lastOops, jobOops);
    const path = (await listOops(db().errorDir)).find((p) => p.endsWith(`/${notificationOops}`));
    const report = await readOops(path!);
    t.is(report.value, 'the mail server refused the OOPS notice');
    t.deepEqual(report.req_vars.filter(([key]) => ['job_id', 'notification', 'job_oops'].includes(key)), [
      ['job_id', String(failing)],
      ['notification', 'notifyOops'],
      ['job_oops', jobOops!],
    ]);
    t.true(logger.lines.includes(`WARNING notifyOops() of ScriptedJob (ID ${failing}) failed: Error: the mail server refused the OOPS notice. Notification resulted in OOPS: ${notificationOops}`));
  });

  test.serial(`${mode.name}: a notifyUserError that throws files an OOPS, and the job and the other jobs of the run keep their outcomes`, async (t) => {
    const first = await enqueue({ action: 'succeed' });
    const failing = await enqueue({ action: 'user-error', notifyThrows: true });
    const last = await enqueue({ action: 'succeed' });
    const { runner } = makeRunner();
    await runner.runAllFromSource(ScriptedJob);
    t.is((await reloadJob(db().admin.manager, first)).status, 'COMPLETED');
    t.is((await reloadJob(db().admin.manager, last)).status, 'COMPLETED');
    const job = await reloadJob(db().admin.manager, failing);
    t.is(job.status, 'FAILED');
    t.is(job.lastOops, null);
    t.is(runner.oopsIds.length, 1);
    const path = (await listOops(db().errorDir)).find((p) => p.endsWith(`/${runner.oopsIds[0]}`));
    t.deepEqual((await readOops(path!)).req_vars.find(([key]) => key === 'notification'), ['notification', 'notifyUserError']);
  });
}

test.serial('a failure rolled back with its batch transaction leaves no OOPS report, no notification and no OOPS id', async (t) => {
  // Both jobs share one batch transaction; the second is taken over by another runner, so
  // the whole batch, the first job's FAILED included, is rolled back and handed back.
  const foo = await makeFoo(db().admin.manager);
  // The first claim of a run takes one job (nothing has run yet to say how quick they are);
  // after this one, the next claim takes the two below together.
  await enqueue({ action: 'succeed' });
  const failing = await enqueue({ action: 'crash' });
  await enqueue({ action: 'stolen', fooId: foo.id });
  const reportsBefore = await listOops(db().errorDir);
  const logger = new ListLogger();
  const runner = new JobRunner({
    dataSource: db().admin,
    logger,
    fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-runner' }),
    quickJobMs: Infinity,
  });
  await runner.runAllFromSource(ScriptedJob);
  const job = await reloadJob(db().admin.manager, failing);
  t.is(job.status, 'WAITING');
  t.is(job.lastError, null);
  t.is(job.lastOops, null);
  t.true(runner.results.some((result) => result.job.job.id === failing && result.outcome === 'lost'));
  t.deepEqual(runner.oopsIds, []);
  t.deepEqual(await listOops(db().errorDir), reportsBefore);
  t.deepEqual(ScriptedJob.notifiedOops.filter((n) => n.jobId === failing), []);
  t.false(logger.lines.some((line) => line.includes('Job resulted in OOPS')));
  // The rolled-back batch gave its connection back to the pool: none is left checked out.
  const pool = (db().admin.driver as unknown as { master: { totalCount: number; idleCount: number } }).master;
  t.is(pool.totalCount - pool.idleCount, 0);
});

test.serial('without a suspect executor, the jobs of a dead runner run in this process one at a time after the others, their attempts not counted twice', async (t) => {
  const fresh = await enqueue({ action: 'succeed' });
  const orphaned = [await enqueue({ action: 'succeed' }), await enqueue({ action: 'succeed' })];
  // A runner that died while holding two jobs: claimed (attempt counted), lease passed.
  await db().admin.query(
    `UPDATE job SET status = 'RUNNING', attempt_count = 1, claimed_by = 'gone:1', lease_expires = now() - interval '1 second' WHERE id = ANY($1)`,
    [orphaned],
  );
  const logger = new ListLogger();
  const runner = new JobRunner({ dataSource: db().admin, logger, fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-runner' }) });
  await runner.runAllFromSource(ScriptedJob);
  const rows: Array<{ id: string; status: string; attempt_count: number; runner_deaths: number }> = await db().admin.query(
    'SELECT id, status, attempt_count, runner_deaths FROM job ORDER BY id',
  );
  t.deepEqual(rows.map((row) => [Number(row.id), row.status, row.attempt_count, row.runner_deaths]), [
    [fresh, 'COMPLETED', 1, 0],
    [orphaned[0], 'COMPLETED', 1, 1],
    [orphaned[1], 'COMPLETED', 1, 1],
  ]);
  const order = logger.lines.filter((line) => /^(DEBUG|INFO) Running ScriptedJob/.test(line)).map((line) => Number(/ID (\d+)/.exec(line)?.[1]));
  t.deepEqual(order, [fresh, orphaned[0], orphaned[0], orphaned[1], orphaned[1]]);
});
