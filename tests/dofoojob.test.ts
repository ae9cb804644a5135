// The seed's own tests (Foundations/JobSystem), in ava.
import test from 'ava';
import pg from 'pg';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import { FooEntity } from '../lib/component/foo/model/foo.ts';
import { JobStatus } from '../lib/services/job/interfaces/jobStatus.ts';
import { JobCronScript } from '../lib/services/job/cronscript.ts';
import { DevNullLogger } from '../lib/services/scripts/logger.ts';
import { makeFoo, reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'dofoojob');

async function pendingCount(): Promise<number> {
  return (await DoFooJob.iterReady(db().admin.manager)).length;
}

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

test.serial('getOopsVars names the foo, the foo job and its type', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager);
  const job = await DoFooJob.create(manager, foo);
  const vars = job.getOopsVars();
  t.deepEqual(vars.find(([key]) => key === 'foo_id'), ['foo_id', String(foo.id)]);
  t.deepEqual(vars.find(([key]) => key === 'foo_job_id'), ['foo_job_id', String(job.context.jobId)]);
  t.deepEqual(vars.find(([key]) => key === 'foo_job_type'), ['foo_job_type', 'Do foo']);
});

test.serial('acquire only acquires one', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager);
  const job = await manager.transaction((tx) => DoFooJob.acquire(tx, foo));
  t.is(await pendingCount(), 1);
  const newJob = await manager.transaction((tx) => DoFooJob.acquire(tx, foo));
  t.is(newJob.job.id, job.job.id);
  t.is(await pendingCount(), 1);
});

test.serial('acquire creates a new job once the previous one has finished', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager);
  const first = await manager.transaction((tx) => DoFooJob.acquire(tx, foo));
  await manager.query(`UPDATE job SET status = 'COMPLETED' WHERE id = $1`, [first.job.id]);
  const second = await manager.transaction((tx) => DoFooJob.acquire(tx, foo));
  t.not(second.job.id, first.job.id);
});

test.serial('a second acquire waits for the first transaction and returns its job', async (t) => {
  const admin = db().admin;
  const foo = await makeFoo(admin.manager);
  const first = admin.createQueryRunner();
  const second = admin.createQueryRunner();
  await first.connect();
  await second.connect();
  try {
    const [{ pid }] = await second.query('SELECT pg_backend_pid() AS pid');
    await first.startTransaction();
    await second.startTransaction();
    const firstJob = await DoFooJob.acquire(first.manager, foo);
    let secondDone = false;
    const secondJob = DoFooJob.acquire(second.manager, foo).then((job) => ((secondDone = true), job));
    await waitFor('the second acquire to wait for a lock', async () => {
      const waiting = await admin.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [pid]);
      return waiting.length > 0 || secondDone;
    });
    t.false(secondDone, 'the second acquire must wait while the first transaction is open');
    await first.commitTransaction();
    const job = await secondJob;
    await second.commitTransaction();
    t.is(job.job.id, firstJob.job.id);
    t.is(await pendingCount(), 1);
  } finally {
    await first.release();
    await second.release();
  }
});

test.serial('four processes acquiring for the same foo at the same moment yield one job', async (t) => {
  const foo = await makeFoo(db().admin.manager);
  // The processes start at their own pace; they meet at a barrier, a lock held here until
  // all four wait for it, and are let go together.
  const barrier = 4_242_101;
  const holder = new pg.Client({ connectionString: db().url });
  await holder.connect();
  let results;
  try {
    await holder.query('SELECT pg_advisory_lock($1)', [barrier]);
    const running = Promise.all(
      [1, 2, 3, 4].map(() => runScript('tests/helpers/acquireFooJob.ts', [String(foo.id), String(barrier)], { env: { JOBS_CONFIG: db().configFile } })),
    );
    await waitFor('the four processes to reach the barrier', async () => {
      const [row] = await db().admin.query(
        `SELECT count(*)::integer AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [barrier],
      );
      return row.n === 4;
    });
    await holder.query('SELECT pg_advisory_unlock($1)', [barrier]);
    results = await running;
  } finally {
    await holder.end();
  }
  for (const result of results) t.is(result.code, 0, result.stderr);
  const ids = new Set(results.map((result) => result.stdout.trim()));
  t.is(ids.size, 1);
  t.is(await pendingCount(), 1);
});

test.serial('run frozzles the foo', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager);
  const job = await DoFooJob.create(manager, foo);
  await manager.transaction((tx) => job.run(tx));
  t.is(job.foo.someAttribute, 'frozzled');
  t.is((await manager.findOneByOrFail(FooEntity, { id: foo.id })).someAttribute, 'frozzled');
});

test.serial('the job runner runs the job', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager);
  const job = await DoFooJob.create(manager, foo);
  // Tell JobCronScript to take its configuration from the config section named on the command line.
  const script = new JobCronScript({ testArgs: ['do_foo'], commandlineConfig: true });
  // Suppress test noise.
  script.logger = new DevNullLogger();
  await script.main();
  t.is((await reloadJob(manager, job.job.id)).status, JobStatus.COMPLETED);
  t.is((await manager.findOneByOrFail(FooEntity, { id: foo.id })).someAttribute, 'frozzled');
});

test.serial('the do-foo cronscript succeeds', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager);
  const job = await DoFooJob.create(manager, foo);
  const { code, stdout, stderr } = await runScript('cronscripts/do-foo.ts', [], { env: { JOBS_CONFIG: db().configFile } });
  t.is(code, 0);
  t.is(stdout, '');
  t.is(stderr, 'INFO    Ran 1 DoFooJob jobs.\n');
  t.is((await reloadJob(manager, job.job.id)).status, JobStatus.COMPLETED);
});

test.serial('run_jobs do_foo runs from any working directory', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager);
  await DoFooJob.create(manager, foo);
  await DoFooJob.create(manager, await makeFoo(manager));
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo'], { env: { JOBS_CONFIG: db().configFile }, cwd: '/tmp' });
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, 'INFO    Ran 2 DoFooJob jobs.\n');
  t.is((await manager.findOneByOrFail(FooEntity, { id: foo.id })).someAttribute, 'frozzled');
});
