// One queue per resource across processes: 4 workers (cronscripts/worker.ts), PostgreSQL the
// only thing they share, run interleaved jobs on a few resources. Each job records the
// server's clock as it starts and ends (inside its transaction, so its end is before its
// commit); each resource's jobs must have run in enqueue order, never two at once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { RESOURCE_RUN_TABLE, SlotJob } from './helpers/resourceJobs.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';
import { startWorker, type WorkerProcess } from './helpers/workerProcess.ts';

const db = useTestDatabase(test, 'resourceconcurrency');
const RESOURCES = ['alpha', 'beta', 'gamma'];
const PER_RESOURCE = 8;

test('4 worker processes run each resource\'s jobs in enqueue order, one at a time, ', async (t) => {
  await db().admin.query(RESOURCE_RUN_TABLE);
  const config = join(db().dir, 'concurrency.ini');
  // batch_size 1: every claim takes one job, so the four processes share the work.
  writeFileSync(config, `[meta]\nextends: ${db().configFile}\n\n[resjobs]\nlink: job_runner\ndbuser: postgres\nbatch_size: 1\nsource_interface: tests.helpers.resourceJobs.ITestResourceJobSource\n`);
  const workers: WorkerProcess[] = [1, 2, 3, 4].map(() => startWorker(config, ['--section', 'resjobs', '--poll', '10m']));
  try {
    await Promise.all(workers.map((worker) => worker.waitForLine(/Worker ready/)));
    // Interleaved: alpha, beta, gamma, alpha, ... all in one transaction, so all are there
    // when the workers wake.
    const ids = await db().admin.transaction(async (manager) => {
      const enqueued: Array<{ id: number; resource: string }> = [];
      for (let i = 0; i < PER_RESOURCE * RESOURCES.length; i++) {
        const resource = RESOURCES[i % RESOURCES.length]!;
        enqueued.push({ id: (await SlotJob.enqueue(manager, resource, { ms: 40 })).job.id, resource });
      }
      return enqueued;
    });
    await waitFor('every job to finish', async () => {
      const [{ left }] = await db().admin.query(`SELECT count(*)::int AS left FROM job WHERE resource_type = 'slot' AND status <> 'COMPLETED'`);
      return left === 0;
    }, 300_000);
    const runs: Array<{ job_id: string; resource_name: string; pid: number; started: Date; ended: Date }> = await db().admin.query('SELECT * FROM resource_run ORDER BY started');
    t.is(runs.length, ids.length);
    for (const resource of RESOURCES) {
      const mine = runs.filter((run) => run.resource_name === resource);
      t.deepEqual(mine.map((run) => Number(run.job_id)), ids.filter((one) => one.resource === resource).map((one) => one.id), `${resource}: enqueue order`);
      for (let i = 1; i < mine.length; i++) {
        t.true(mine[i - 1]!.ended <= mine[i]!.started, `${resource}: job ${mine[i - 1]!.job_id} ended before job ${mine[i]!.job_id} started`);
      }
    }
    t.log(`jobs ran on ${new Set(runs.map((run) => run.pid)).size} database connections`);
  } finally {
    for (const worker of workers) worker.child.kill('SIGTERM');
    const codes = await Promise.all(workers.map((worker) => worker.exited));
    t.deepEqual(codes, [143, 143, 143, 143], workers.map((worker) => worker.output()).join('\n'));
  }
});
