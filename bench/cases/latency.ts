// Cases h and i: latency from the enqueueing commit to the job's start, with each project's
// long-running worker (jobsystem: cronscripts/worker.ts, woken by LISTEN/NOTIFY; graphile-
// worker: its run(), woken by its LISTEN/NOTIFY), both at their default concurrency 1.
// One enqueuer adds the jobs one at a time, each in a transaction of its own, at a steady
// rate (a job every 5 ms: 200/s; when an enqueue runs late the next one goes at once). The
// server reads its clock_timestamp() right after the COMMIT, in the COMMIT's own message
// (COMMIT_CLOCK, bench/jobsystem.ts; read by a query sent after COMMIT returned, a descheduled
// enqueuer made the commit look later than the job's start, by up to 15 ms); the job's one
// statement records clock_timestamp() at its start (bench/latencyTable.ts). Both times come
// from the server's clock, so there is no skew between processes. h is the median of the
// repetitions' p50, i of their p99.
import { alternate, newSeries, scaled, type BenchContext, type CaseResult, type Project, type Sample } from '../harness.ts';
import { freshDatabase, longRepeat, openEnqueuer, sleep, startWorker, stopWorker, until } from './longRunning.ts';
import { LATENCY_SECTION } from '../jobsystem.ts';

const RATE_PER_SECOND = 200;

/** The value at `share` (0..1) of sorted `values`, nearest rank. */
export function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

async function measure(context: BenchContext, project: Project, jobs: number, rep: number): Promise<Sample> {
  const url = await freshDatabase(context, project);
  const worker = await startWorker(context, project, url, `h-${project}-${rep}`, {});
  const enqueuer = await openEnqueuer(project, url);
  const committed: number[] = [];
  try {
    // Let the start-up settle before the first job (its first claim, connections opening).
    await sleep(500);
    const intervalMs = 1000 / RATE_PER_SECOND;
    const cpuBefore = worker.cpuMs();
    const started = performance.now();
    for (let seq = 0; seq < jobs; seq++) {
      const due = started + seq * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      committed.push(await enqueuer.enqueueLatencyJob(seq));
    }
    await until(async () => (await enqueuer.query<{ n: number }>('SELECT count(*)::integer AS n FROM bench_latency'))[0]!.n >= jobs, 60_000, `${project} did not start every job`);
    const cpuMs = worker.cpuMs() - cpuBefore;
    const rows = await enqueuer.query<{ seq: number; ms: number }>('SELECT seq, (extract(epoch FROM started_at) * 1000)::float8 AS ms FROM bench_latency');
    const latencies = rows.map((row) => row.ms - committed[row.seq]!).sort((a, b) => a - b);
    const p50 = percentile(latencies, 0.5);
    const p99 = percentile(latencies, 0.99);
    const rate = jobs / ((performance.now() - started) / 1000);
    context.say(`  h ${project.padEnd(9)} rep ${rep}: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, min ${latencies[0]!.toFixed(2)} ms, max ${latencies.at(-1)!.toFixed(1)} ms (enqueued at ${rate.toFixed(0)}/s; worker CPU ${((cpuMs * 1000) / jobs).toFixed(0)} µs per job)`);
    return { value: p50, cpuMs, extra: { p50, p99, max: latencies.at(-1)!, min: latencies[0]! } };
  } finally {
    await enqueuer.close();
    await stopWorker(worker);
  }
}

export async function latency(context: BenchContext): Promise<CaseResult[]> {
  const jobs = Math.max(100, scaled(context, 2000));
  const setup = {
    jobsystem: `cronscripts/worker.ts --section ${LATENCY_SECTION} (long-running, woken by LISTEN/NOTIFY, poll 10s; [job_runner] defaults: batch_size 50, concurrency 1)`,
    graphile: 'graphile-worker (long-running run(), woken by LISTEN/NOTIFY, pollInterval 2 s; defaults: concurrency 1)',
  };
  const notes = [
    `${jobs} jobs per run, enqueued one at a time (one transaction each: jobsystem LatencyJob.create, graphile-worker addJob) at ${RATE_PER_SECOND}/s; latency = the job's clock_timestamp() at its start minus the enqueuer's clock_timestamp() read after COMMIT returned (the same server clock). ${longRepeat(context)} repetitions; the value is the median of their percentiles.`,
  ];
  const p50: CaseResult = { id: 'h', title: 'latency, commit to job start: p50', unit: 'ms', better: 'lower', jobs, jobsystem: newSeries(setup.jobsystem), graphile: newSeries(setup.graphile), notes };
  await alternate(context, 'h', {
    jobsystem: (rep) => measure(context, 'jobsystem', jobs, rep),
    graphile: (rep) => measure(context, 'graphile', jobs, rep),
  }, p50, longRepeat(context));
  const p99: CaseResult = { ...p50, id: 'i', title: 'latency, commit to job start: p99', jobsystem: toP99(p50.jobsystem), graphile: toP99(p50.graphile), notes: ['the same runs as h.'] };
  return [p50, p99];
}

function toP99(series: CaseResult['jobsystem']): CaseResult['jobsystem'] {
  return { ...series, samples: series.samples.map((sample) => ({ ...sample, value: sample.extra!.p99! })) };
}
