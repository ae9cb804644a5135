// Fail-fast enqueue of jobs on resources: the prediction, refused jobs, and enqueues that
// take turns per resource.
import test from 'ava';
import { createInstance, deleteInstance, upgradeInstance, CreateInstanceJob, UpgradeInstanceJob } from '../lib/component/instances/instanceJobs.ts';
import { CREATION_STATUSES } from '../lib/services/job/interfaces/jobStatus.ts';
import { claimJobs } from '../lib/services/job/sql/claimJobs.ts';
import { ResourceAlreadyExists, ResourceNotFound, UnknownResourceType } from '../lib/services/resources/errors.ts';
import { enqueueResourceJob } from '../lib/services/resources/enqueue.ts';
import { readJobOutcome } from '../lib/services/resources/jobOutcome.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'resourceenqueue');
let counter = 0;
/** A fresh instance name per test, so tests do not share a queue. */
const fresh = () => `inst${++counter}`;
const manager = () => db().admin.manager;

async function existing(name: string): Promise<void> {
  await db().admin.query('INSERT INTO instance (name, version) VALUES ($1, $2)', [name, 'v1']);
}

async function setStatus(id: number, status: string): Promise<void> {
  await db().admin.query('UPDATE job SET status = $2 WHERE id = $1', [id, status]);
}

test('an upgrade of a missing instance is refused at once with ResourceNotFound, and the refused job has an id and its error', async (t) => {
  const name = fresh();
  const { job, refused } = await upgradeInstance(manager(), name, 'v2');
  t.true(refused instanceof ResourceNotFound);
  t.is(refused!.message, `Instance '${name}' does not exist.`);
  t.is(refused!.httpStatus, 404);
  t.is(refused!.jobId, job.id);
  const outcome = await readJobOutcome(manager(), job.id);
  t.like(outcome, { status: 'FAILED', finished: true, refused: true, error: `ResourceNotFound: Instance '${name}' does not exist.`, resourceType: 'instance', resourceName: name, dateStarted: null });
  t.truthy(outcome.dateEnded);
});

test('a refused job is never ready: no claim takes it', async (t) => {
  const { job } = await upgradeInstance(manager(), fresh(), 'v2');
  const claimed = await claimJobs(manager(), { jobTypes: ['UpgradeInstanceJob'], limit: 100, leaseMs: 60_000, owner: 'test:1', runStartedAt: new Date(Date.now() + 3_600_000) });
  t.false(claimed.some((one) => one.id === job.id));
  t.true(CREATION_STATUSES.includes('FAILED'));
});

test('"upgrade foo" right after "create foo" is accepted before the create has run: the pending CREATE decides', async (t) => {
  const name = fresh();
  const create = await createInstance(manager(), name, 'v1');
  t.is(create.refused, null);
  t.false(create.predictedExists);
  const upgrade = await upgradeInstance(manager(), name, 'v2');
  t.is(upgrade.refused, null);
  t.true(upgrade.predictedExists);
  t.is(upgrade.decidedBy, create.job.id);
  t.is(upgrade.job.status, 'WAITING');
});

test('a create of an existing instance is refused with "already exists" (409)', async (t) => {
  const name = fresh();
  await existing(name);
  const { refused } = await createInstance(manager(), name, 'v1');
  t.true(refused instanceof ResourceAlreadyExists);
  t.is(refused!.message, `Instance '${name}' already exists.`);
  t.is(refused!.httpStatus, 409);
});

test('a second create behind a pending create is refused; CREATE|UPDATE is accepted either way', async (t) => {
  const name = fresh();
  await createInstance(manager(), name, 'v1');
  t.true((await createInstance(manager(), name, 'v1')).refused instanceof ResourceAlreadyExists);
  t.is((await CreateInstanceJob.enqueue(manager(), name, { version: 'v1' }, { options: ['CREATE', 'UPDATE'] })).refused, null);
  t.is((await CreateInstanceJob.enqueue(manager(), fresh(), { version: 'v1' }, { options: ['CREATE', 'UPDATE'] })).refused, null);
});

test('behind a pending delete an upgrade is refused, a create accepted, and an upgrade after that create accepted', async (t) => {
  const name = fresh();
  await existing(name);
  t.is((await deleteInstance(manager(), name)).refused, null);
  t.true((await upgradeInstance(manager(), name, 'v2')).refused instanceof ResourceNotFound);
  t.is((await createInstance(manager(), name, 'v3')).refused, null);
  t.is((await upgradeInstance(manager(), name, 'v4')).refused, null);
});

test('the running job counts in the prediction; finished jobs ahead do not (exists() decides)', async (t) => {
  const name = fresh();
  await existing(name);
  const del = await deleteInstance(manager(), name);
  await setStatus(del.job.id, 'RUNNING');
  t.true((await upgradeInstance(manager(), name, 'v2')).refused instanceof ResourceNotFound);
  // The delete failed: the instance is still there, as exists() says.
  await setStatus(del.job.id, 'FAILED');
  const after = await upgradeInstance(manager(), name, 'v2');
  t.is(after.refused, null);
  t.is(after.decidedBy, undefined);
});

test('an unregistered resource type is an error at enqueue, and nothing is inserted', async (t) => {
  const error = await t.throwsAsync(enqueueResourceJob(manager(), { jobType: 'X', resourceType: 'volcano', resourceName: 'etna' }), { instanceOf: UnknownResourceType });
  t.regex(error!.message, /No resource type 'volcano' is registered \(registered: .*instance.*\)\./);
  const [{ count }] = await db().admin.query(`SELECT count(*)::int AS count FROM job WHERE job_type = 'X' OR resource_type = 'volcano'`);
  t.is(count, 0);
});

test('an enqueue in a REPEATABLE READ transaction is refused: its snapshot could miss the job enqueued just before', async (t) => {
  await t.throwsAsync(
    db().admin.transaction('REPEATABLE READ', (inner) => upgradeInstance(inner, fresh(), 'v2')),
    { message: /needs a READ COMMITTED transaction \(this one is REPEATABLE READ\)/ },
  );
});

test('two enqueues on one resource take turns: the second waits for the first to commit and predicts from its job', async (t) => {
  const name = fresh();
  const first = db().admin.createQueryRunner();
  await first.connect();
  try {
    await first.startTransaction();
    const create = await createInstance(first.manager, name, 'v1');
    // The second enqueue starts while the first transaction is open: it must wait for the
    // resource's lock, not predict from a queue without the create (which would refuse it).
    const second = upgradeInstance(manager(), name, 'v2');
    await waitFor('the second enqueue to wait for the resource lock', async () => {
      const [{ waiting }] = await db().admin.query(`SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
      return waiting === 1;
    });
    await first.commitTransaction();
    const upgrade = await second;
    t.is(upgrade.refused, null);
    t.is(upgrade.decidedBy, create.job.id);
  } finally {
    await first.release();
  }
});

test('enqueue options default to the class and are stored sorted', async (t) => {
  const { job } = await UpgradeInstanceJob.enqueue(manager(), fresh(), { version: 'v2' }, { options: ['UPDATE', 'CREATE', 'UPDATE'] });
  const [{ resource_options }] = await db().admin.query('SELECT resource_options FROM job WHERE id = $1', [job.id]);
  t.is(resource_options, 'CREATE,UPDATE');
});
