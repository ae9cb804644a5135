// Job events across processes (a run_jobs process runs the jobs; this process listens), the
// stored outcome and awaitJob, and reads of a resource while a job runs on it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { createInstance, upgradeInstance } from '../lib/component/instances/instanceJobs.ts';
import { JobRunner } from '../lib/services/job/runner.ts';
import { NotifyListener } from '../lib/services/notify/listener.ts';
import type { NotifyEvent } from '../lib/services/notify/payload.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { JobNotFound, JobWaitTimedOut, ResourceBusy, ResourceNotFound } from '../lib/services/resources/errors.ts';
import { awaitJob } from '../lib/services/resources/jobOutcome.ts';
import { listResources, readResource } from '../lib/services/resources/readResource.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { HoldingUpgradeJob, testResourceJobs } from './helpers/resourceJobs.ts';
import { runScript } from './helpers/runScript.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'resourceevents');
const manager = () => db().admin.manager;

function sectionConfig(): string {
  const file = join(db().dir, 'resources.ini');
  writeFileSync(file, `[meta]\nextends: ${db().configFile}\n\n[resjobs]\nlink: job_runner\ndbuser: postgres\nsource_interface: tests.helpers.resourceJobs.ITestResourceJobSource\n`);
  return file;
}

async function startListener(): Promise<NotifyListener> {
  const listener = new NotifyListener({ url: db().url });
  await listener.start();
  return listener;
}

test.serial('a subscriber in another process sees ready, start and success or error, in order, for each job', async (t) => {
  const listener = await startListener();
  const events: string[] = [];
  listener.subscribe((event: NotifyEvent) => {
    if (event.kind === 'job_event') events.push(`${event.jobId} ${event.event}`);
  });
  try {
    const good = await createInstance(manager(), 'ev-good', 'v1');
    const goodUpgrade = await upgradeInstance(manager(), 'ev-good', 'v2');
    const bad = await createInstance(manager(), 'ev-bad', 'bogus');
    const badUpgrade = await upgradeInstance(manager(), 'ev-bad', 'v2');
    const refused = await upgradeInstance(manager(), 'ev-none', 'v2');
    t.truthy(refused.refused);
    const run = await runScript('cronscripts/run_jobs.ts', ['resjobs'], { env: { JOBS_CONFIG: sectionConfig() } });
    t.is(run.code, 0, run.stderr);
    const expected: Array<[number, string[]]> = [
      [good.job.id, ['ready', 'start', 'success']],
      [goodUpgrade.job.id, ['ready', 'start', 'success']],
      [bad.job.id, ['ready', 'start', 'error']],
      [badUpgrade.job.id, ['ready', 'error']],
      [refused.job.id, ['error']],
    ];
    const total = expected.reduce((sum, [, list]) => sum + list.length, 0);
    await waitFor('every event', async () => events.length >= total);
    for (const [id, list] of expected) t.deepEqual(events.filter((line) => line.startsWith(`${id} `)).map((line) => line.split(' ')[1]), list, `job ${id}: ${events.join(', ')}`);
    // The upgrade's ready is sent by the transaction that completed the create.
    t.true(events.indexOf(`${good.job.id} success`) < events.indexOf(`${goodUpgrade.job.id} ready`));
    t.is(events.length, total);
  } finally {
    await listener.close();
  }
});

test.serial('awaitJob returns the stored result, or the error, with the queued, started and ended times', async (t) => {
  const listener = await startListener();
  try {
    const create = await createInstance(manager(), 'aw-1', 'v1');
    const upgrade = await upgradeInstance(manager(), 'aw-1', 'v3');
    const waiting = awaitJob(manager(), listener, upgrade.job.id, { timeoutMs: 300_000, pollMs: 600_000 });
    const run = await runScript('cronscripts/run_jobs.ts', ['resjobs'], { env: { JOBS_CONFIG: sectionConfig() } });
    t.is(run.code, 0, run.stderr);
    const outcome = await waiting;
    t.like(outcome, { id: upgrade.job.id, status: 'COMPLETED', finished: true, result: { name: 'aw-1', version: 'v3', previousVersion: 'v1' }, error: null });
    t.true(outcome.dateQueued <= outcome.dateStarted! && outcome.dateStarted! <= outcome.dateEnded!);
    const refused = await upgradeInstance(manager(), 'aw-missing', 'v1');
    t.like(await awaitJob(manager(), listener, refused.job.id, { timeoutMs: 1000 }), { status: 'FAILED', error: "ResourceNotFound: Instance 'aw-missing' does not exist.", refused: true });
    t.truthy(create.job.id);
  } finally {
    await listener.close();
  }
});

test.serial('awaitJob of an unknown job is "Job \'N\' does not exist."; of a job that does not finish in time, JobWaitTimedOut', async (t) => {
  const listener = await startListener();
  try {
    await t.throwsAsync(awaitJob(manager(), listener, 987654321, { timeoutMs: 1000 }), { instanceOf: JobNotFound, message: "Job '987654321' does not exist." });
    const pending = await createInstance(manager(), 'aw-never', 'v1');
    await t.throwsAsync(awaitJob(manager(), listener, pending.job.id, { timeoutMs: 100 }), { instanceOf: JobWaitTimedOut, message: `Job ${pending.job.id} did not finish within 100 ms.` });
    await db().admin.query('DELETE FROM job WHERE id = $1', [pending.job.id]);
  } finally {
    await listener.close();
  }
});

test.serial('during a job, a snapshot read sees the state before it without blocking, and a wait read the state after it', async (t) => {
  await db().admin.query(`INSERT INTO instance (name, version) VALUES ('rd-1', 'v1'), ('rd-0', 'v0'), ('Rd-2', 'v0')`);
  const releaseFile = join(db().dir, 'release-rd-1');
  const { job } = await HoldingUpgradeJob.enqueue(manager(), 'rd-1', { version: 'v2', releaseFile });
  const listener = await startListener();
  const runner = new JobRunner({ dataSource: db().admin, logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-reads' }), quickJobMs: 0 });
  const running = runner.runAllFromSource(testResourceJobs);
  try {
    // The job has written v2 (uncommitted) once the row is locked.
    await waitFor('the job to hold its write', async () => {
      try {
        await db().admin.transaction(async (inner) => inner.query(`SELECT 1 FROM instance WHERE name = 'rd-1' FOR UPDATE NOWAIT`));
        return false;
      } catch (error) {
        return /could not obtain lock/.test(String(error));
      }
    });
    t.deepEqual(await readResource(manager(), 'instance', 'rd-1', { mode: 'snapshot' }), { name: 'rd-1', version: 'v1' });
    await t.throwsAsync(readResource(manager(), 'instance', 'rd-1', { mode: 'wait', listener, timeoutMs: 100 }), {
      instanceOf: ResourceBusy, message: `Instance 'rd-1' is still busy with job ${job.id} after 100 ms.`,
    });
    const after = readResource(manager(), 'instance', 'rd-1', { mode: 'wait', listener, timeoutMs: 300_000 });
    writeFileSync(releaseFile, '');
    t.deepEqual(await after, { name: 'rd-1', version: 'v2' });
  } finally {
    writeFileSync(releaseFile, '');
    await running;
    await listener.close();
  }
  await t.throwsAsync(readResource(manager(), 'instance', 'rd-nope'), { instanceOf: ResourceNotFound, message: "Instance 'rd-nope' does not exist." });
  const names = (await listResources<{ version: string }>(manager(), 'instance')).map((one) => one.name).filter((name) => /^rd-/i.test(name));
  t.deepEqual(names, ['Rd-2', 'rd-0', 'rd-1']);
});

test.serial('the [instance_jobs] section runs the instance jobs as its own role, instances', async (t) => {
  const create = await createInstance(manager(), 'role-1', 'v1');
  const upgrade = await upgradeInstance(manager(), 'role-1', 'v2');
  const run = await runScript('cronscripts/run_jobs.ts', ['instance_jobs'], { env: { JOBS_CONFIG: db().configFile } });
  t.is(run.code, 0, run.stderr);
  const rows: Array<{ id: string; status: string }> = await db().admin.query('SELECT id, status FROM job WHERE id = ANY($1) ORDER BY id', [[create.job.id, upgrade.job.id]]);
  t.deepEqual(rows.map((row) => row.status), ['COMPLETED', 'COMPLETED']);
  t.deepEqual(await db().admin.query(`SELECT version FROM instance WHERE name = 'role-1'`), [{ version: 'v2' }]);
});
