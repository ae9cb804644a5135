// An operator's retry of an older job on a resource, at the moment a runner claims a later job
// of the same resource, must not let both run. Each order is held open deterministically:
// a claim transaction left uncommitted while the retry runs (the retry waits in pg_locks), and
// a retry held before its commit while a claim runs (the claim takes nothing of the resource).
import test from 'ava';
import pg from 'pg';
import { changeJobStatus } from '../lib/services/admin/changeJobStatus.ts';
import { claimJobs } from '../lib/services/job/sql/claimJobs.ts';
import { SlotJob } from './helpers/resourceJobs.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'retryrace');
const operator = { name: 'race-test' };

interface Pair {
  older: number;
  later: number;
}

/** Two jobs on one slot: the older FAILED (to be retried), the later WAITING and ready. */
async function failedThenWaiting(slot: string): Promise<Pair> {
  const older = (await SlotJob.enqueue(db().admin.manager, slot)).job.id;
  const later = (await SlotJob.enqueue(db().admin.manager, slot)).job.id;
  await db().admin.query(`UPDATE job SET status = 'FAILED', attempt_count = 1, date_finished = now(), last_error = 'Error: boom' WHERE id = $1`, [older]);
  return { older, later };
}

const claim = (manager = db().admin.manager, owner = 'runner-2') => claimJobs(manager, { jobTypes: ['SlotJob'], limit: 10, leaseMs: 60_000, owner, runStartedAt: new Date(Date.now() + 60_000) }).then((jobs) => jobs.map((job) => job.id));
const statuses = async (pair: Pair) => Object.fromEntries((await db().admin.query('SELECT id, status FROM job WHERE id = ANY($1)', [[pair.older, pair.later]])).map((row: { id: string; status: string }) => [Number(row.id) === pair.older ? 'older' : 'later', row.status]));

async function connect(): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client({ connectionString: db().url, application_name: 'retry race test' });
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return { client, pid };
}

/** The locks `pid` waits for (pg_locks rows not granted), as locktype and relation. */
const waitingLocks = async (pid: number) => (await db().admin.query(`SELECT locktype, relation::regclass::text AS relation FROM pg_locks WHERE pid = $1 AND NOT granted`, [pid])) as Array<{ locktype: string; relation: string | null }>;

async function finish(pair: Pair): Promise<void> {
  await db().admin.query(`UPDATE job SET status = 'COMPLETED', date_finished = now(), lease_expires = NULL WHERE id = ANY($1)`, [[pair.older, pair.later]]);
}

test.serial('a retry while a claim of the later job is uncommitted waits for it; then the retried job waits behind the running one', async (t) => {
  const pair = await failedThenWaiting('race-a');
  const claiming = db().admin.createQueryRunner();
  await claiming.connect();
  const { client, pid } = await connect();
  try {
    await claiming.startTransaction();
    t.deepEqual(await claim(claiming.manager, 'runner-1'), [pair.later]);
    const retry = changeJobStatus(client, 'retry', pair.older, operator);
    const waits = await waitFor('the retry to wait for the claim\'s row lock', async () => {
      const locks = await waitingLocks(pid);
      return locks.length > 0 ? locks : undefined;
    });
    t.true(waits.some((lock) => lock.locktype === 'transactionid' || lock.locktype === 'tuple'), JSON.stringify(waits));
    // Meanwhile the retry has changed nothing: another runner finds nothing of the resource.
    t.deepEqual(await claim(), []);
    await claiming.commitTransaction();
    t.like(await retry, { oldStatus: 'FAILED', job: { status: 'WAITING' } });
    t.deepEqual(await statuses(pair), { older: 'WAITING', later: 'RUNNING' });
    // The later job holds the resource: the retried one is not claimed until it ends.
    t.deepEqual(await claim(), []);
    await db().admin.query(`UPDATE job SET status = 'COMPLETED', date_finished = now(), lease_expires = NULL WHERE id = $1`, [pair.later]);
    t.deepEqual(await claim(), [pair.older]);
  } finally {
    if (claiming.isTransactionActive) await claiming.rollbackTransaction();
    await claiming.release();
    await client.end();
    await finish(pair);
  }
});

test.serial('a claim while a retry holds the resource\'s pending rows takes nothing of it; after the retry commits, the retried (older) job goes first', async (t) => {
  const pair = await failedThenWaiting('race-b');
  const blocker = await connect();
  const { client, pid } = await connect();
  try {
    // Holds the retry after its row locks and status change, before its commit: it waits to
    // write its admin_log row.
    await blocker.client.query('BEGIN');
    await blocker.client.query('LOCK TABLE admin_log IN EXCLUSIVE MODE');
    const retry = changeJobStatus(client, 'retry', pair.older, operator);
    await waitFor('the retry to wait at admin_log', async () => (await waitingLocks(pid)).some((lock) => lock.relation === 'admin_log'));
    // The retry holds the later job's row.
    await t.throwsAsync(db().admin.transaction((inner) => inner.query('SELECT id FROM job WHERE id = $1 FOR UPDATE NOWAIT', [pair.later])), { message: /could not obtain lock on row/ });
    t.deepEqual(await claim(), []);
    await blocker.client.query('COMMIT');
    t.like(await retry, { job: { status: 'WAITING' } });
    t.deepEqual(await claim(), [pair.older]);
    t.deepEqual(await statuses(pair), { older: 'RUNNING', later: 'WAITING' });
    t.deepEqual(await claim(), []);
  } finally {
    await blocker.client.query('ROLLBACK').catch(() => undefined);
    await blocker.client.end();
    await client.end();
    await finish(pair);
  }
});

test.serial('a retry of a job on a resource with no other pending job changes it at once', async (t) => {
  const older = (await SlotJob.enqueue(db().admin.manager, 'race-c')).job.id;
  await db().admin.query(`UPDATE job SET status = 'FAILED', attempt_count = 1, date_finished = now() WHERE id = $1`, [older]);
  const { client } = await connect();
  try {
    t.like(await changeJobStatus(client, 'retry', older, operator), { job: { status: 'WAITING' } });
    t.deepEqual(await claim(), [older]);
  } finally {
    await client.end();
    await db().admin.query(`UPDATE job SET status = 'COMPLETED', date_finished = now() WHERE id = $1`, [older]);
  }
});
