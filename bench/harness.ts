// What every case shares: the settings, the result types, and running the two projects
// alternately (jobsystem first in odd repetitions, graphile-worker first in even ones, so
// neither always gets the warmer machine).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../lib/services/paths.ts';
import { logTail, type ProcessRun } from './process.ts';

export type Project = 'jobsystem' | 'graphile';

export interface BenchContext {
  admin: string;
  scale: number;
  repeat: number;
  /** Per process: a run that takes longer is killed and counted as broken. */
  timeoutMs: number;
  logDir: string;
  say(message: string): void;
}

export function scaled(context: BenchContext, count: number): number {
  return Math.max(1, Math.round(count * context.scale));
}

export function logFile(context: BenchContext, name: string): string {
  mkdirSync(context.logDir, { recursive: true });
  return join(context.logDir, `${name}.log`);
}

export const LOG_DIR = fromRoot('var/bench/logs');

/** One measured run: the value of the case's metric, plus what else was seen. */
export interface Sample {
  value: number;
  wallMs?: number;
  peakRssKb?: number | null;
  /** CPU time of the worker process(es), summed. */
  cpuMs?: number | null;
  /** Case g, whose value is memory: the throughput of the same run. */
  jobsPerSecond?: number;
  /** Other figures of the run (the latency cases: p50, p99, max). */
  extra?: Record<string, number>;
}

export interface Series {
  /** How this project was run for the case, in words. */
  setup: string;
  samples: Sample[];
  errors: string[];
}

export interface CaseResult {
  id: string;
  title: string;
  unit: 'jobs/s' | 'ms' | 'MB' | 'CPU s' | 'CPU s/h';
  better: 'higher' | 'lower';
  jobs: number;
  jobsystem: Series;
  graphile: Series;
  notes: string[];
  extra?: Record<string, unknown>;
  /** Cases of jobsystem alone (m to o, jobs on resources: graphile-worker has no resource
   * rule): what the two series hold instead of jobsystem and graphile-worker. */
  columns?: { jobsystem: string; graphile: string };
  /** 1, 5 and 15 minute load averages when the case started and ended: the machine may be
   * shared, and a busy one slows both projects' runs. */
  loadAverage?: { start: number[]; end: number[] };
}

/** Run `runs[project]` `repeat` times each, alternating; a failed run is recorded, not thrown.
 * `labels`: the names the log gives the two series (default: the projects'). */
export async function alternate(
  context: BenchContext,
  caseId: string,
  runs: Record<Project, (rep: number) => Promise<Sample>>,
  series: Record<Project, Series>,
  repeat = context.repeat,
  labels: Record<Project, string> = { jobsystem: 'jobsystem', graphile: 'graphile' },
): Promise<void> {
  for (let rep = 1; rep <= repeat; rep++) {
    const order: Project[] = rep % 2 === 1 ? ['jobsystem', 'graphile'] : ['graphile', 'jobsystem'];
    for (const project of order) await measure(context, `${caseId} ${labels[project]}`, rep, series[project], () => runs[project](rep));
  }
}

/** One run of a series: its sample recorded and logged, or its failure (not thrown). */
export async function measure(context: BenchContext, name: string, rep: number, series: Series, run: () => Promise<Sample>): Promise<Sample | null> {
  try {
    const sample = await run();
    series.samples.push(sample);
    context.say(`  ${name.padEnd(11)} rep ${rep}: ${format(sample.value)}${sample.peakRssKb ? `, peak RSS ${(sample.peakRssKb / 1024).toFixed(0)} MB` : ''}`);
    return sample;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    series.errors.push(`rep ${rep}: ${message}`);
    context.say(`  ${name.padEnd(11)} rep ${rep}: FAILED: ${message}`);
    return null;
  }
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

/** Throw with the log's tail unless the process exited 0. */
export function checkExit(run: ProcessRun): void {
  if (run.exitCode !== 0) {
    throw new Error(`${run.command} exited ${run.exitCode ?? run.signal}: ${logTail(run.logFile)}`);
  }
}

export function newSeries(setup: string): Series {
  return { setup, samples: [], errors: [] };
}
