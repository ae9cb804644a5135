// Named queues and priorities: which jobs a runner claims, and in which order.
import test from 'ava';
import { JobRunner } from '../lib/services/job/runner.ts';
import { CLAIM_ONE_QUEUE_ONE_TYPE } from '../lib/services/job/sql/claimJobs.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { scriptedConfig } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'queues');

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

function makeRunner(queues?: string[]) {
  return new JobRunner({ dataSource: db().admin, logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-queues' }), queues });
}

test.serial('a runner of queue a runs only the jobs of queue a', async (t) => {
  const a = await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'a' });
  const b = await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'b' });
  const plain = await ScriptedJob.create(db().admin.manager, { action: 'succeed' });
  await makeRunner(['a']).runAllFromSource(ScriptedJob);
  t.is((await reloadJob(db().admin.manager, a.job.id)).status, 'COMPLETED');
  t.is((await reloadJob(db().admin.manager, b.job.id)).status, 'WAITING');
  t.is((await reloadJob(db().admin.manager, plain.job.id)).status, 'WAITING');
});

test.serial('a runner given no queues serves the default queue only', async (t) => {
  const plain = await ScriptedJob.create(db().admin.manager, { action: 'succeed' });
  const other = await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'other' });
  await makeRunner().runAllFromSource(ScriptedJob);
  t.is((await reloadJob(db().admin.manager, plain.job.id)).status, 'COMPLETED');
  t.is((await reloadJob(db().admin.manager, other.job.id)).status, 'WAITING');
});

test.serial('within a queue jobs run by priority, higher first, then oldest first', async (t) => {
  const ids: number[] = [];
  for (const priority of [0, 5, -3, 5, 0]) ids.push((await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { priority })).job.id);
  const runner = makeRunner();
  await runner.runAllFromSource(ScriptedJob);
  t.deepEqual(runner.completedJobs.map((job) => job.job.id), [ids[1], ids[3], ids[0], ids[4], ids[2]]);
});

test.serial('a job scheduled for later is not run before its time', async (t) => {
  const later = await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { scheduledStart: new Date(Date.now() + 3_600_000) });
  await makeRunner().runAllFromSource(ScriptedJob);
  t.is((await reloadJob(db().admin.manager, later.job.id)).status, 'WAITING');
});

test.serial('run_jobs runs only the queues its section names', async (t) => {
  const config = scriptedConfig(db(), 'queue-a', { queues: 'a, c' });
  const a = await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'a' });
  const c = await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'c' });
  const plain = await ScriptedJob.create(db().admin.manager, { action: 'succeed' });
  const result = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config } });
  t.is(result.code, 0, result.stderr);
  t.is((await reloadJob(db().admin.manager, a.job.id)).status, 'COMPLETED');
  t.is((await reloadJob(db().admin.manager, c.job.id)).status, 'COMPLETED');
  t.is((await reloadJob(db().admin.manager, plain.job.id)).status, 'WAITING');
});

test.serial('run_jobs of a section whose queues hold no job stops at the empty-run probe', async (t) => {
  const config = scriptedConfig(db(), 'queue-empty', { queues: 'empty' });
  await ScriptedJob.create(db().admin.manager, { action: 'succeed' });
  const result = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: config } });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr + result.stdout, /Ran 0 ScriptedJob jobs\./);
});

test.serial('the claim reads the ready-queue index and no finished row (EXPLAIN ANALYZE)', async (t) => {
  // 5,000 finished jobs of the same queue and type as history, and 3 ready ones.
  await db().admin.query(`INSERT INTO job (job_type, status, date_finished) SELECT 'ScriptedJob', 'COMPLETED', now() FROM generate_series(1, 5000)`);
  for (const priority of [0, 1, 2]) await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { priority });
  await db().admin.query('ANALYZE job');
  const statement = CLAIM_ONE_QUEUE_ONE_TYPE.replace(/\$1::text/, `'ScriptedJob'`).replace(/\$6::text/, `'default'`).replace('$2', '2').replace('$3', '60000').replace('$4', `'explain'`).replaceAll('$5', `(now() + interval '1 hour')`);
  const runner = db().admin.createQueryRunner();
  try {
    await runner.startTransaction();
    const rows: Array<{ 'QUERY PLAN': string }> = await runner.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) ${statement}`);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    t.regex(plan, /Index Scan using job__ready_queue__idx on job/);
    t.notRegex(plan, /Seq Scan on job|Sort/);
    // The scan stops after the 2 rows it claims: it never reaches the finished history.
    t.regex(plan, /Index Scan using job__ready_queue__idx on job[^\n]*\(actual rows=2(\.00)? /);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
});
