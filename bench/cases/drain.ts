// One measured drain of a queue of no-op jobs, per project: fresh database, enqueue (not
// timed), settle, run the worker process(es), check every job ran. Cases b, c, e, f, g use it.
import * as graphile from '../graphile.ts';
import * as jobsystem from '../jobsystem.ts';
import { checkExit, logFile, type BenchContext, type Sample } from '../harness.ts';
import type { ProcessRun } from '../process.ts';

export interface JobsystemDrain {
  name: string;
  jobs: number;
  section: string;
  /** How many run_jobs processes at once (each with its own --lock-dir). */
  processes?: number;
  /** Copy the database from this template (case f: the one with history rows). */
  template?: string;
  /** COMPLETED rows already in the template. */
  historyRows?: number;
}

export interface GraphileDrain {
  name: string;
  jobs: number;
  fastest?: boolean;
  processes?: number;
}

function sample(jobs: number, runs: ProcessRun[], wallMs: number): Sample {
  const rss = runs.map((run) => run.peakRssKb).filter((kb): kb is number => kb !== null);
  const cpu = runs.map((run) => run.cpuMs);
  const cpuMs = cpu.every((ms): ms is number => ms !== null) ? cpu.reduce((sum, ms) => sum + ms, 0) : null;
  return { value: jobs / (wallMs / 1000), wallMs, peakRssKb: rss.length ? Math.max(...rss) : null, cpuMs };
}

export async function drainJobsystem(context: BenchContext, options: JobsystemDrain): Promise<Sample> {
  const url = await jobsystem.databaseWithJobs(context.admin, options.jobs, options.template);
  const count = options.processes ?? 1;
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: count }, (_, i) => jobsystem.runJobs({
    url,
    section: options.section,
    logFile: logFile(context, count > 1 ? `${options.name}-p${i + 1}` : options.name),
    lockDir: count > 1 ? `var/bench/lock/p${i + 1}` : undefined,
    timeoutMs: context.timeoutMs,
  })));
  const wallMs = performance.now() - started;
  runs.forEach(checkExit);
  await jobsystem.checkDrained(url, options.jobs + (options.historyRows ?? 0));
  return sample(options.jobs, runs, wallMs);
}

export async function drainGraphile(context: BenchContext, options: GraphileDrain): Promise<Sample> {
  const url = await graphile.databaseWithJobs(context.admin, options.jobs);
  const count = options.processes ?? 1;
  const started = performance.now();
  const runs = await Promise.all(Array.from({ length: count }, (_, i) => graphile.runOnce({
    url,
    jobs: options.fastest ? undefined : 1,
    fastest: options.fastest,
    logFile: logFile(context, count > 1 ? `${options.name}-p${i + 1}` : options.name),
    timeoutMs: context.timeoutMs,
  })));
  const wallMs = performance.now() - started;
  runs.forEach(checkExit);
  await graphile.checkDrained(url);
  return sample(options.jobs, runs, wallMs);
}
