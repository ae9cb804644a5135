// Case j: sustained throughput of one long-running worker fed continuously, start-up left
// out. A backlog is queued first and a feeder keeps the queue from running dry (whenever fewer
// than FEED_LOW jobs wait it adds FEED_BATCH with the project's bulk API; a run whose queue
// ran dry is refused); after the first jobs have run and a warm-up, the
// jobs completed over a measured window are counted (jobsystem: COMPLETED rows; graphile-
// worker, which deletes finished jobs: jobs added minus rows left, counted between two
// top-ups). jobsystem: cronscripts/worker.ts serving case c's chosen section (or its default
// choice when c did not run); graphile-worker: its fastest configuration, long-running.
import { alternate, newSeries, scaled, type BenchContext, type CaseResult, type Project, type Sample } from '../harness.ts';
import type { Enqueuer } from '../jobsystem.ts';
import type { RunningProcess } from '../process.ts';
import { GRAPHILE_FASTEST, type Tuning } from './fastest.ts';
import { backendCpu, freshDatabase, longRepeat, openEnqueuer, sleep, startWorker, stopWorker, until } from './longRunning.ts';
import { settle } from '../postgres.ts';

/** The section when case c did not run: what case c chose at 3e69c74. */
export const DEFAULT_SUSTAINED_SECTION = 'bench_noop_fast_b2000_c1';
/** Jobs queued before the worker starts: enough for the warm-up and the window at well over
 * either project's rate, so that the feeder, which shares the cores, rarely has to add. */
const PRELOAD_PER_SECOND_OF_WINDOW = 30_000;
const FEED_LOW = 50_000;
const FEED_BATCH = 25_000;
const WARM_UP_MS = 2000;

/** Keeps the queue fed until stopped; `exclusive` runs work between two top-ups. It records
 * the fewest jobs it saw waiting, so a run whose queue ran dry (the feeder's rate measured,
 * not the worker's) is refused. */
class Feeder {
  private stopped = false;
  private lock: Promise<void> = Promise.resolve();
  private readonly loop: Promise<void>;
  fewestWaiting = Infinity;

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
        const waiting = await this.enqueuer.waiting();
        this.fewestWaiting = Math.min(this.fewestWaiting, waiting);
        if (waiting < FEED_LOW) await this.enqueuer.enqueueNoop(FEED_BATCH);
      });
      await sleep(50);
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
  const preload = Math.max(2 * FEED_LOW, Math.round(((WARM_UP_MS + windowMs) / 1000) * PRELOAD_PER_SECOND_OF_WINDOW));
  for (let queued = 0; queued < preload; queued += FEED_BATCH) await enqueuer.enqueueNoop(FEED_BATCH);
  await settle(url);
  let feeder: Feeder | undefined;
  let worker: RunningProcess | undefined;
  try {
    worker = await startWorker(context, project, url, `j-${project}-${rep}`, { section, fastest: true });
    feeder = new Feeder(enqueuer);
    const running = feeder;
    await until(async () => (await running.exclusive(() => enqueuer.completed())) > 0, 60_000, `${project} completed no job`);
    await sleep(WARM_UP_MS);
    const count = () => running.exclusive(async () => ({ done: await enqueuer.completed(), at: performance.now() }));
    const first = await count();
    running.fewestWaiting = Infinity;
    const backends = await backendCpu(url);
    const cpuBefore = worker.cpuMs();
    await sleep(windowMs);
    const last = await count();
    const cpuMs = worker.cpuMs() - cpuBefore;
    const backendMs = backends.usedMs();
    const seconds = (last.at - first.at) / 1000;
    const jobs = last.done - first.done;
    const perJob = (ms: number) => ((ms * 1000) / Math.max(jobs, 1)).toFixed(1);
    context.say(`  j ${project.padEnd(9)} rep ${rep}: ${jobs} jobs in ${seconds.toFixed(1)} s; CPU per job: worker ${perJob(cpuMs)} µs, its ${backends.count} PostgreSQL backends ${perJob(backendMs)} µs; fewest waiting ${running.fewestWaiting}`);
    if (running.fewestWaiting === 0) throw new Error('the queue ran dry during the window: the feeder, not the worker, set the rate');
    return { value: jobs / seconds, wallMs: last.at - first.at, cpuMs, extra: { backendCpuMs: backendMs } };
  } finally {
    await feeder?.stop();
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
      `jobs completed per second over a ${(windowMs / 1000).toFixed(0)} s window that starts ${WARM_UP_MS / 1000} s after the first job completed. ${PRELOAD_PER_SECOND_OF_WINDOW.toLocaleString('en-US')} jobs per second of warm-up and window are queued (untimed, through the bulk API: jobsystem NoopJob.createMany, graphile-worker addJobs) before the worker starts; a feeder adds ${FEED_BATCH.toLocaleString('en-US')} more whenever fewer than ${FEED_LOW.toLocaleString('en-US')} wait, on the same 2 cores, and a run whose queue ran dry is refused. Worker CPU is the worker process's user+sys over the window. ${longRepeat(context)} repetitions.`,
    ],
  };
  await alternate(context, 'j', {
    jobsystem: (rep) => measure(context, 'jobsystem', section, windowMs, rep),
    graphile: (rep) => measure(context, 'graphile', section, windowMs, rep),
  }, result, longRepeat(context));
  result.jobs = Math.round(Math.max(0, ...[...result.jobsystem.samples, ...result.graphile.samples].map((sample) => (sample.value * windowMs) / 1000)));
  return result;
}
