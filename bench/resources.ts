// Bench case r: jobs on resources beside plain jobs, on one database, in one process.
//   npx tsx bench/resources.ts                      20,000 jobs over 1,000 resources, 4 runners
//   BENCH_SCALE=0.02 npx tsx bench/resources.ts     a smoke run (400 jobs over 20 resources)
//   BENCH_ADMIN_URL=postgres://... to use a server other than the embedded one
// Measures, for the same number of jobs:
//   enqueue, one transaction per job (as a web request does): NoopResourceJob.enqueue (the
//     resource lock, the prediction query, the insert) beside NoopPlainJob.create;
//   drain by 4 JobRunners (4 connection pools, concurrency 1 each, run as cron would): the
//     resource jobs, enqueued interleaved over the resources, beside as many plain jobs;
//   the claim of plain jobs while 20,000 resource jobs wait in another queue.
import { openDataSource } from '../lib/services/database/dataSource.ts';
import { applySchema } from '../lib/services/database/applySchema.ts';
import { JobRunner } from '../lib/services/job/runner.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { fromRoot } from '../lib/services/paths.ts';
import type { IJobSource } from '../lib/services/job/interfaces/job.ts';
import { adminUrl, createDatabase, dropDatabase, settle } from './postgres.ts';
import { NoopPlainJob, NoopResourceJob, noopResourceJobs } from './resourceJobClass.ts';

const DATABASE = 'bench_resources';
const scale = Number(process.env.BENCH_SCALE || 1);
const JOBS = Math.max(20, Math.round(20_000 * scale));
const RESOURCES = Math.max(2, Math.round(1_000 * scale));
const RUNNERS = 4;

type DataSource = Awaited<ReturnType<typeof openDataSource>>;

async function enqueueEach(dataSource: DataSource, count: number, one: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await one(i);
  return count / ((performance.now() - started) / 1000);
}

async function drain(url: string, source: IJobSource, queues: string[]): Promise<{ jobsPerS: number; completed: number }> {
  const dataSources = await Promise.all(Array.from({ length: RUNNERS }, () => openDataSource(url, { applicationName: 'bench resources runner' })));
  try {
    const started = performance.now();
    const runners = dataSources.map((dataSource, n) => new JobRunner({
      dataSource, logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: fromRoot('var/bench/oops'), reporter: 'BENCH-resources' }),
      owner: `bench:${n}`, queues, maxRecordedJobs: 0,
    }));
    // Each runner runs until a claim finds nothing, as a cron run does; a runner that found
    // the heads of every resource busy starts again while jobs are left (a worker is woken by
    // the ready event instead).
    let completed = 0;
    const left = async () => Number((await dataSources[0]!.query(`SELECT count(*) AS n FROM job WHERE status = 'WAITING' AND queue_name = ANY($1)`, [queues]))[0].n);
    await Promise.all(runners.map(async (runner) => {
      do {
        await runner.runAllFromSource(source);
      } while ((await left()) > 0);
      completed += runner.completedCount;
    }));
    return { jobsPerS: completed / ((performance.now() - started) / 1000), completed };
  } finally {
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
  }
}

async function main(): Promise<void> {
  const admin = process.env.BENCH_ADMIN_URL || (await adminUrl());
  const url = await createDatabase(admin, DATABASE);
  await applySchema(url);
  const dataSource = await openDataSource(url, { applicationName: 'bench resources' });
  const say = (line: string) => console.log(line);
  say(`bench r: ${JOBS} jobs over ${RESOURCES} resources, ${RUNNERS} runners (BENCH_SCALE=${scale})`);
  try {
    const plainEnqueue = await enqueueEach(dataSource, JOBS, (i) => dataSource.transaction((m) => NoopPlainJob.create(m, { i }, { queueName: 'plain' })));
    const resourceEnqueue = await enqueueEach(dataSource, JOBS, (i) => dataSource.transaction((m) => NoopResourceJob.enqueue(m, `slot${i % RESOURCES}`, { i }, { queueName: 'res' })));
    say(`enqueue, one transaction per job: plain ${plainEnqueue.toFixed(0)} jobs/s, on a resource with prediction ${resourceEnqueue.toFixed(0)} jobs/s (${(resourceEnqueue / plainEnqueue).toFixed(2)} of plain)`);
    await settle(url);
    const plainSource: IJobSource = NoopPlainJob as unknown as IJobSource;
    const plain = await drain(url, plainSource, ['plain']);
    say(`drain by ${RUNNERS} runners, plain jobs (${JOBS} resource jobs waiting in another queue): ${plain.jobsPerS.toFixed(0)} jobs/s (${plain.completed} jobs)`);
    const resources = await drain(url, noopResourceJobs, ['res']);
    say(`drain by ${RUNNERS} runners, resource jobs (${JOBS / RESOURCES} per resource, interleaved): ${resources.jobsPerS.toFixed(0)} jobs/s (${resources.completed} jobs; ${(resources.jobsPerS / plain.jobsPerS).toFixed(2)} of plain)`);
  } finally {
    await dataSource.destroy();
    await dropDatabase(admin, DATABASE);
  }
}

await main();
