// What cases m, n and o share: jobs on the bench's resources enqueued one transaction per job,
// a template database with jobs waiting on resources, and the drain by in-process JobRunners.
import { openDataSource } from '../lib/services/database/dataSource.ts';
import type { IJobSource } from '../lib/services/job/interfaces/job.ts';
import { JobRunner } from '../lib/services/job/runner.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { TEMPLATE } from './jobsystem.ts';
import { NoopJob } from './noopJobClass.ts';
import { createDatabase, settle, withClient } from './postgres.ts';
import { NoopResourceJob, noopResourceJobs } from './resourceJobClass.ts';

export const RESOURCE_TEMPLATE = 'bench_jobsystem_resources_template';
/** The queue of the jobs on resources; the plain jobs stay in 'default'. */
export const RESOURCE_QUEUE = 'res';
export const RUNNERS = 4;

type DataSource = Awaited<ReturnType<typeof openDataSource>>;

/** The resource of job i: jobs go round the resources, so each resource's jobs interleave. */
export const slot = (i: number, resources: number) => `slot${i % resources}`;

export function enqueueOnResource(manager: Parameters<typeof NoopResourceJob.enqueue>[0], i: number, resources: number) {
  return NoopResourceJob.enqueue(manager, slot(i, resources), { i }, { queueName: RESOURCE_QUEUE });
}

/** Enqueue `count` jobs one transaction each (as web requests do); returns the ms of the loop. */
export async function enqueueEach(url: string, count: number, resources: number | null): Promise<number> {
  const dataSource = await openDataSource(url, { applicationName: 'bench enqueue' });
  try {
    await dataSource.query('SELECT 1');
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      await dataSource.transaction(async (manager) => {
        if (resources === null) await NoopJob.create(manager, { i });
        else await enqueueOnResource(manager, i, resources);
      });
    }
    return performance.now() - started;
  } finally {
    await dataSource.destroy();
  }
}

/** A template with `jobs` WAITING jobs over `resources` resources, enqueued through
 * NoopResourceJob.enqueue (the lock, the prediction, the insert) 1,000 to a transaction. */
export async function prepareResourceTemplate(admin: string, jobs: number, resources: number): Promise<number> {
  const url = await createDatabase(admin, RESOURCE_TEMPLATE, TEMPLATE);
  const dataSource = await openDataSource(url, { applicationName: 'bench resources template' });
  const started = performance.now();
  try {
    for (let first = 0; first < jobs; first += 1_000) {
      await dataSource.transaction(async (manager) => {
        for (let i = first; i < Math.min(jobs, first + 1_000); i++) await enqueueOnResource(manager, i, resources);
      });
    }
  } finally {
    await dataSource.destroy();
  }
  await settle(url);
  return performance.now() - started;
}

/**
 * Drain `queues` with RUNNERS JobRunners in this process (a connection pool each; the
 * [job_runner] defaults: batch_size 50, concurrency 1), each run until a claim finds nothing,
 * as a cron run does. A runner that found only busy resources starts again while jobs are
 * left (a long-running worker is woken by the ready event instead). Returns the ms.
 */
export async function drainInProcess(url: string, source: IJobSource, queues: string[], expected: number): Promise<number> {
  const dataSources: DataSource[] = await Promise.all(Array.from({ length: RUNNERS }, () => openDataSource(url, { applicationName: 'bench resources runner' })));
  try {
    const left = async () => Number((await dataSources[0]!.query(`SELECT count(*) AS n FROM job WHERE status = 'WAITING' AND queue_name = ANY($1)`, [queues]))[0].n);
    const started = performance.now();
    const completed = await Promise.all(dataSources.map(async (dataSource, n) => {
      const runner = new JobRunner({
        dataSource, logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: fromRoot('var/bench/oops'), reporter: 'BENCH-resources' }),
        owner: `bench:${n}`, queues, maxRecordedJobs: 0,
      });
      do await runner.runAllFromSource(source);
      while ((await left()) > 0);
      return runner.completedCount;
    }));
    const ms = performance.now() - started;
    const total = completed.reduce((sum, count) => sum + count, 0);
    if (total !== expected) throw new Error(`the runners completed ${total} jobs of ${expected}`);
    return ms;
  } finally {
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
  }
}

export const plainSource = NoopJob as unknown as IJobSource;
export const resourceSource: IJobSource = noopResourceJobs;

/** Throws unless `expected` jobs of `queue` are COMPLETED and none is in another status. */
export async function checkQueueDrained(url: string, queue: string, expected: number): Promise<void> {
  const rows = await withClient(url, async (client) => (await client.query<{ status: string; n: number }>(
    'SELECT status, count(*)::integer AS n FROM job WHERE queue_name = $1 GROUP BY status', [queue])).rows);
  const counts = Object.fromEntries(rows.map((row) => [row.status, row.n]));
  if ((counts.COMPLETED ?? 0) !== expected || rows.length > 1) {
    throw new Error(`queue ${queue} not drained: expected ${expected} COMPLETED, found ${JSON.stringify(counts)}`);
  }
}
