// cronscripts/worker.ts as a real process: woken by NOTIFY, serving its queues only, stopping
// gracefully on SIGTERM.
import test from 'ava';
import { reloadJob } from './helpers/factory.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { scriptedConfig, waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';
import { startWorker, type WorkerProcess } from './helpers/workerProcess.ts';

const db = useTestDatabase(test, 'worker');
let running: WorkerProcess | undefined;

test.serial.afterEach.always(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
  await db().admin.query('DELETE FROM job');
});

test.serial('the worker runs a new job within seconds of its commit, woken by NOTIFY (its poll is 10 minutes)', async (t) => {
  const config = scriptedConfig(db(), 'worker-notify');
  running = startWorker(config, ['--poll', '10m']);
  await running.waitForLine(/Worker ready/);
  // The first poll-less cycle has run and found nothing; only a notification can wake it now.
  const job = await ScriptedJob.create(db().admin.manager, { action: 'succeed' });
  await waitFor('the job to complete', async () => (await reloadJob(db().admin.manager, job.job.id)).status === 'COMPLETED');
  const [{ delay }] = (await db().admin.query(`SELECT extract(epoch FROM date_started - date_created)::float AS delay FROM job WHERE id = $1`, [job.job.id])) as Array<{ delay: number }>;
  t.log(`started ${delay.toFixed(3)} s after it was created`);
  // Well under the 600 s poll: typically tens of milliseconds; bounded generously for a loaded machine.
  t.true(delay < 5, `started ${delay} s after creation`);
});

test.serial('the worker takes only the jobs of the queues it serves', async (t) => {
  const config = scriptedConfig(db(), 'worker-queues', { queues: 'fast, slow' });
  running = startWorker(config, ['fast', '--poll', '10m']);
  await running.waitForLine(/Worker ready/);
  const slow = await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'slow' });
  const fast = await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'fast' });
  await waitFor('the fast job to complete', async () => (await reloadJob(db().admin.manager, fast.job.id)).status === 'COMPLETED');
  t.is((await reloadJob(db().admin.manager, slow.job.id)).status, 'WAITING');
  t.regex(running.output(), /queue\(s\) fast\./);
});

test.serial('SIGTERM lets the running job finish and exits 143', async (t) => {
  const config = scriptedConfig(db(), 'worker-sigterm', { grace_period: '2m' });
  running = startWorker(config, ['--poll', '10m']);
  await running.waitForLine(/Worker ready/);
  const job = await ScriptedJob.create(db().admin.manager, { action: 'sleep', ms: 1500 });
  await waitFor('the job to start', async () => (await reloadJob(db().admin.manager, job.job.id)).status === 'RUNNING');
  running.child.kill('SIGTERM');
  const code = await running.exited;
  t.is(code, 143, running.output());
  t.is((await reloadJob(db().admin.manager, job.job.id)).status, 'COMPLETED');
  t.regex(running.output(), /Received SIGTERM: claiming no more jobs/);
  t.notRegex(running.output(), /ERROR/);
});

test.serial('the worker refuses queues no enabled section serves, with exit status 2', async (t) => {
  const config = scriptedConfig(db(), 'worker-none');
  running = startWorker(config, ['nosuchqueue']);
  t.is(await running.exited, 2);
  t.regex(running.output(), /no enabled job section serves queue\(s\) nosuchqueue/);
});
