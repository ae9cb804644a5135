// One queue per resource: the claim takes a job on a resource only at the front of that
// resource's queue; jobs with no resource are unaffected. And the instance jobs run by the
// runner: results stored, a job whose prediction failed at its turn ends without running.
// The tests are serial: a run takes every ready job of the source, other tests' jobs too.
import test from 'ava';
import { createInstance, upgradeInstance } from '../lib/component/instances/instanceJobs.ts';
import { insertJob } from '../lib/services/job/sql/insertJob.ts';
import { claimJobs } from '../lib/services/job/sql/claimJobs.ts';
import { JobRunner } from '../lib/services/job/runner.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { readJobOutcome } from '../lib/services/resources/jobOutcome.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { SlotJob, testResourceJobs } from './helpers/resourceJobs.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'resourcequeue');
const manager = () => db().admin.manager;
let counter = 0;
const fresh = (prefix = 'q') => `${prefix}${++counter}`;

/** Claim every ready job of the queue `queue` (each test uses its own queue). */
async function claim(queue: string, jobTypes = ['SlotJob', 'Plain']): Promise<number[]> {
  const jobs = await claimJobs(manager(), { jobTypes, queues: [queue], limit: 100, leaseMs: 60_000, owner: 'test:1', runStartedAt: new Date(Date.now() + 3_600_000) });
  return jobs.map((job) => job.id).sort((a, b) => a - b);
}

async function slot(name: string, queue: string): Promise<number> {
  return (await SlotJob.enqueue(manager(), name, {}, { queueName: queue })).job.id;
}

async function setStatus(id: number, status: string): Promise<void> {
  await db().admin.query(`UPDATE job SET status = $2, lease_expires = CASE WHEN $2 = 'WAITING' THEN NULL ELSE lease_expires END WHERE id = $1`, [id, status]);
}

test.serial('only the oldest job of a resource is claimed; jobs of other resources and jobs with no resource are claimed beside it', async (t) => {
  const queue = fresh();
  const [a1, a2, b1] = [await slot('a', queue), await slot('a', queue), await slot('b', queue)];
  const plain = (await insertJob(manager(), { jobType: 'Plain', queueName: queue })).id;
  t.deepEqual(await claim(queue), [a1, b1, plain].sort((x, y) => x - y));
  t.deepEqual(await claim(queue), [], 'a2 waits while a1 runs');
  t.not(a2, a1);
});

for (const [finished, lets] of [['COMPLETED', true], ['FAILED', true], ['SUSPENDED', false], ['RUNNING', false]] as const) {
  test(`a ${finished} job ${lets ? 'lets the next job of its resource go' : 'holds its resource'}`, async (t) => {
    const queue = fresh();
    const name = fresh('r');
    const first = await slot(name, queue);
    const second = await slot(name, queue);
    t.deepEqual(await claim(queue), [first]);
    await setStatus(first, finished);
    t.deepEqual(await claim(queue), lets ? [second] : []);
  });
}

test.serial('an older job put back to WAITING (a retry) waits while a later job of its resource runs, then goes first', async (t) => {
  const queue = fresh();
  const name = fresh('r');
  const [first, second, third] = [await slot(name, queue), await slot(name, queue), await slot(name, queue)];
  t.deepEqual(await claim(queue), [first]);
  await setStatus(first, 'FAILED');
  t.deepEqual(await claim(queue), [second]);
  await setStatus(first, 'WAITING');
  t.deepEqual(await claim(queue), [], 'the retried job waits for the running one');
  await setStatus(second, 'COMPLETED');
  t.deepEqual(await claim(queue), [first], 'then it goes before the third');
  t.true(third > second);
});

test.serial('the claim of jobs with no resource reads no resource index (EXPLAIN)', async (t) => {
  const queue = fresh();
  await insertJob(manager(), { jobType: 'Plain', queueName: queue });
  const rows: Array<{ 'QUERY PLAN': string }> = await db().admin.query(
    `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM job WHERE job.queue_name = $1 AND job.job_type = 'Plain'
       AND ${(await import('../lib/services/job/sql/readyCondition.ts')).READY_CONDITION} ORDER BY job.priority DESC, job.id LIMIT 10 FOR UPDATE SKIP LOCKED`, [queue]);
  const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
  t.regex(plan, /job__ready_queue__idx/);
  // The subqueries are in the plan but never executed for a job with no resource.
  t.regex(plan, /SubPlan/);
  const resourceScans = plan.split('\n').filter((line) => / on job (ahead|holder)/.test(line));
  t.is(resourceScans.length, 2, plan);
  for (const line of resourceScans) t.regex(line, /\(never executed\)/, plan);
});

function makeRunner(logger: ListLogger): JobRunner {
  return new JobRunner({ dataSource: db().admin, logger, fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-resources' }), quickJobMs: 0 });
}

test.serial('create then upgrade, enqueued at once, both run in order and store their results', async (t) => {
  const name = fresh('i');
  const create = await createInstance(manager(), name, 'v1');
  const upgrade = await upgradeInstance(manager(), name, 'v2');
  await makeRunner(new ListLogger()).runAllFromSource(testResourceJobs);
  const [created, upgraded] = [await readJobOutcome(manager(), create.job.id), await readJobOutcome(manager(), upgrade.job.id)];
  t.like(created, { status: 'COMPLETED', result: { name, version: 'v1' }, error: null });
  t.like(upgraded, { status: 'COMPLETED', result: { name, version: 'v2', previousVersion: 'v1' }, error: null });
  t.true(created.dateEnded! <= upgraded.dateStarted!);
  t.truthy(upgraded.dateQueued);
  t.deepEqual(await db().admin.query('SELECT version FROM instance WHERE name = $1', [name]), [{ version: 'v2' }]);
});

test.serial('when the create ahead failed, the upgrade behind it ends in error at its turn without starting or running', async (t) => {
  const name = fresh('i');
  const create = await createInstance(manager(), name, 'not a version');
  const upgrade = await upgradeInstance(manager(), name, 'v2');
  t.is(upgrade.refused, null, 'accepted: the create was predicted to make it');
  const logger = new ListLogger();
  await makeRunner(logger).runAllFromSource(testResourceJobs);
  t.like(await readJobOutcome(manager(), create.job.id), { status: 'FAILED', error: "InvalidVersion: 'not a version' is not a version such as v2.0" });
  const outcome = await readJobOutcome(manager(), upgrade.job.id);
  t.like(outcome, { status: 'FAILED', error: `ResourceNotFound: Instance '${name}' does not exist.`, dateStarted: null, refused: false });
  t.truthy(outcome.dateEnded);
  t.deepEqual(await db().admin.query('SELECT * FROM instance WHERE name = $1', [name]), []);
});
