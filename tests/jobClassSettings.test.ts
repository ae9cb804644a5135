// What a job class may set (maxRetries, retryDelayMs, retryErrorTypes) and what the runner
// and the section's lease_duration do with it, each by its effect on the job row.
import test from 'ava';
import type { EntityManager } from 'typeorm';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import { JobRunner } from '../lib/services/job/runner.ts';
import { SimpleJob } from '../lib/services/job/simpleJob.ts';
import { selectReadyJobs } from '../lib/services/job/sql/selectReadyJobs.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { makeFoo, reloadJob } from './helpers/factory.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'jobclasssettings');

class ServiceBusy extends Error {
  override name = 'ServiceBusy';
}

/** Retried once, 90 s apart. */
class RetriedOnceJob extends SimpleJob {
  static override maxRetries = 1;
  override retryErrorTypes = [ServiceBusy];
  override retryDelayMs = 90_000;
  override async run(): Promise<void> {
    throw new ServiceBusy('try later');
  }
}

/** Records the lease its claim gave it. */
class LeaseRecordingJob extends SimpleJob {
  override async run(manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE job SET log = EXTRACT(EPOCH FROM lease_expires - date_started)::text WHERE id = $1`, [this.job.id]);
  }
}

class ThreeTriesFooJob extends DoFooJob {
  static override maxRetries = 3;
}

function makeRunner(leaseMs?: number) {
  return new JobRunner({ dataSource: db().admin, logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-settings' }), leaseMs });
}

test.serial('a class with maxRetries = 1 is requeued without an OOPS, not before retryDelayMs, and FAILED with an OOPS on its second attempt', async (t) => {
  const manager = db().admin.manager;
  const { job } = await RetriedOnceJob.create(manager);
  t.is(job.maxRetries, 1);

  const first = makeRunner();
  await first.runAllFromSource(RetriedOnceJob);
  let row = await reloadJob(manager, job.id);
  t.is(row.status, 'WAITING');
  t.is(row.attemptCount, 1);
  t.deepEqual(first.oopsIds, []);
  t.is(row.scheduledStart!.getTime() - row.dateFinished!.getTime(), 90_000);
  t.deepEqual(await selectReadyJobs(manager, ['RetriedOnceJob']), []);
  const early = makeRunner();
  await early.runAllFromSource(RetriedOnceJob);
  t.is((await reloadJob(manager, job.id)).attemptCount, 1, 'a run before the retry delay has passed leaves the job alone');

  // The retry delay passes (the database's clock decides readiness: move the time, do not sleep).
  await db().admin.query(`UPDATE job SET scheduled_start = now() - interval '1 second' WHERE id = $1`, [job.id]);
  const second = makeRunner();
  await second.runAllFromSource(RetriedOnceJob);
  row = await reloadJob(manager, job.id);
  t.is(row.status, 'FAILED');
  t.is(row.attemptCount, 2);
  t.is(second.oopsIds.length, 1);
});

test.serial("create, createMany and acquire write the class's maxRetries into the job row", async (t) => {
  const manager = db().admin.manager;
  t.is((await RetriedOnceJob.create(manager)).job.maxRetries, 1);
  const ids = await RetriedOnceJob.createMany(manager, [{}, {}]);
  const rows = await db().admin.query('SELECT max_retries FROM job WHERE id = ANY($1) ORDER BY id', [ids]);
  t.deepEqual(rows.map((row: { max_retries: number }) => row.max_retries), [1, 1]);
  t.is((await ThreeTriesFooJob.create(manager, await makeFoo(manager))).job.maxRetries, 3);
  const foo = await makeFoo(manager);
  const acquired = await manager.transaction((tx) => ThreeTriesFooJob.acquire(tx, foo));
  t.is((await reloadJob(manager, acquired.job.id)).maxRetries, 3);
  t.is((await DoFooJob.create(manager, await makeFoo(manager))).job.maxRetries, 0);
});

test.serial("runAllFromSource claims for the runner's lease (the section's lease_duration)", async (t) => {
  const { job } = await LeaseRecordingJob.create(db().admin.manager);
  await makeRunner(600_000).runAllFromSource(LeaseRecordingJob);
  t.is(Math.round(Number((await reloadJob(db().admin.manager, job.id)).log)), 600);
});

test.serial("runJobs claims for the runner's lease too", async (t) => {
  const made = await LeaseRecordingJob.create(db().admin.manager);
  await makeRunner(420_000).runJobs([made]);
  const row = await reloadJob(db().admin.manager, made.job.id);
  t.is(row.status, 'COMPLETED');
  t.is(Math.round(Number(row.log)), 420);
});
