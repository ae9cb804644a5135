// Case j: sustained throughput of one long-running worker fed continuously, start-up left
// out. A feeder keeps the queue non-empty (whenever fewer than FEED_LOW jobs wait it adds
// FEED_BATCH with the project's bulk API); after the first jobs have run and a warm-up, the
// jobs completed over a measured window are counted (jobsystem: COMPLETED rows; graphile-
// worker, which deletes finished jobs: jobs added minus rows left, counted between two
// top-ups). jobsystem: cronscripts/worker.ts serving case c's chosen section (or its default
// choice when c did not run); graphile-worker: its fastest configuration, long-running.
import { alternate, newSeries, scaled, type BenchContext, type CaseResult, type Project, type Sample } from '../harness.ts';
import type { Enqueuer } from '../jobsystem.ts';
import type { RunningProcess } from '../process.ts';
import { GRAPHILE_FASTEST, type Tuning } from './fastest.ts';
import { freshDatabase, longRepeat, openEnqueuer, sleep, startWorker, stopWorker, until } from './longRunning.ts';

/** The section when case c did not run: what case c chose at 3e69c74. */
export const DEFAULT_SUSTAINED_SECTION = 'bench_noop_fast_b2000_c1';
const FEED_LOW = 10_000;
const FEED_BATCH = 10_000;

/** Keeps the queue fed until stopped; `exclusive` runs work between two top-ups. */
class Feeder {
  private stopped = false;
  private lock: Promise<void> = Promise.resolve();
  private readonly loop: Promise<void>;

  constructor(private readonly enqueuer: Enqueuer) {
    this.loop = this.feed();
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lock.then(work);
    this.lock = result.then(() => undefined, () => undefined);
    return result;
  }

  private async feed(): Promise<void> {
    while (!this.stopped) {
      await this.exclusive(async () => {
        if ((await this.enqueuer.waiting()) < FEED_LOW) await this.enqueuer.enqueueNoop(FEED_BATCH);
      });
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

async function measure(context: BenchContext, project: Project, section: string, windowMs: number, rep: number): Promise<Sample> {
  const url = await freshDatabase(context, project);
  const enqueuer = await openEnqueuer(project, url);
  await enqueuer.enqueueNoop(FEED_BATCH);
  const feeder = new Feeder(enqueuer);
  let worker: RunningProcess | undefined;
  try {
    worker = await startWorker(context, project, url, `j-${project}-${rep}`, { section, fastest: true });
    await until(async () => (await feeder.exclusive(() => enqueuer.completed())) > 0, 60_000, `${project} completed no job`);
    await sleep(2000);
    const count = () => feeder.exclusive(async () => ({ done: await enqueuer.completed(), at: performance.now() }));
    const first = await count();
    const cpuBefore = worker.cpuMs();
    await sleep(windowMs);
    const last = await count();
    const cpuMs = worker.cpuMs() - cpuBefore;
    const seconds = (last.at - first.at) / 1000;
    const jobs = last.done - first.done;
    context.say(`  j ${project.padEnd(9)} rep ${rep}: ${jobs} jobs in ${seconds.toFixed(1)} s; worker CPU ${((cpuMs * 1000) / Math.max(jobs, 1)).toFixed(1)} µs per job`);
    return { value: (last.done - first.done) / seconds, wallMs: last.at - first.at, cpuMs };
  } finally {
    await feeder.stop();
    await enqueuer.close();
    if (worker) await stopWorker(worker);
  }
}

export async function sustained(context: BenchContext, tuning: Tuning | undefined): Promise<CaseResult> {
  const windowMs = Math.max(2000, scaled(context, 8000));
  const section = tuning?.chosen.section ?? DEFAULT_SUSTAINED_SECTION;
  const result: CaseResult = {
    id: 'j',
    title: 'sustained throughput, long-running worker fed continuously',
    unit: 'jobs/s',
    better: 'higher',
    jobs: 0,
    jobsystem: newSeries(`cronscripts/worker.ts --section ${section} (${tuning ? "case c's choice" : 'case c did not run: its usual choice'})`),
    graphile: newSeries(`${GRAPHILE_FASTEST.replace('--once ', '')}, long-running`),
    notes: [
      `jobs completed per second over a ${(windowMs / 1000).toFixed(0)} s window that starts 2 s after the first job completed; a feeder keeps at least ${FEED_LOW.toLocaleString('en-US')} jobs waiting (adding ${FEED_BATCH.toLocaleString('en-US')} at a time through the bulk API, jobsystem NoopJob.createMany, graphile-worker addJobs), on the same 2 cores. Worker CPU is the worker process's user+sys over the window. ${longRepeat(context)} repetitions.`,
    ],
  };
  await alternate(context, 'j', {
    jobsystem: (rep) => measure(context, 'jobsystem', section, windowMs, rep),
    graphile: (rep) => measure(context, 'graphile', section, windowMs, rep),
  }, result, longRepeat(context));
  result.jobs = Math.round(Math.max(0, ...[...result.jobsystem.samples, ...result.graphile.samples].map((sample) => (sample.value * windowMs) / 1000)));
  return result;
}
