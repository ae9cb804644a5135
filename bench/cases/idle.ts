// Case k: the idle cost of a long-running worker waiting on an empty queue, in CPU seconds
// per hour. Both workers start at once, each on its own empty database; once both are ready
// and 2 s have passed, utime + stime of each worker's processes (/proc/<pid>/stat) are read at
// the start and the end of a measured window and extrapolated to an hour. Their PostgreSQL
// backends' CPU over the same window is a note. Poll intervals: jobsystem's worker polls
// every 10 s (its default --poll) and checks its LISTEN connection every 30 s; graphile-
// worker polls every 2 s (its default pollInterval).
import { newSeries, scaled, type BenchContext, type CaseResult, type Project } from '../harness.ts';
import { type RunningProcess } from '../process.ts';
import { backendCpu, freshDatabase, sleep, startWorker, stopWorker } from './longRunning.ts';
import { LATENCY_SECTION } from '../jobsystem.ts';

export async function idle(context: BenchContext): Promise<CaseResult> {
  const windowMs = Math.max(5000, scaled(context, 30_000));
  const result: CaseResult = {
    id: 'k',
    title: 'idle cost: worker CPU on an empty queue',
    unit: 'CPU s/h',
    better: 'lower',
    jobs: 0,
    jobsystem: newSeries(`cronscripts/worker.ts --section ${LATENCY_SECTION} (poll 10s, LISTEN health check every 30 s)`),
    graphile: newSeries('graphile-worker (long-running, pollInterval 2 s, concurrency 1)'),
    notes: [],
  };
  const projects: Project[] = ['jobsystem', 'graphile'];
  const urls = await Promise.all(projects.map((project) => freshDatabase(context, project)));
  const workers: RunningProcess[] = [];
  try {
    for (const [i, project] of projects.entries()) workers.push(await startWorker(context, project, urls[i]!, `k-${project}`, {}));
    await sleep(2000);
    const backends = await Promise.all(urls.map(backendCpu));
    const before = workers.map((worker) => worker.cpuMs());
    const started = performance.now();
    await sleep(windowMs);
    const seconds = (performance.now() - started) / 1000;
    const perHour = (ms: number) => (ms / 1000) * (3600 / seconds);
    for (const [i, project] of projects.entries()) {
      const cpu = perHour(workers[i]!.cpuMs() - before[i]!);
      const backendsPerHour = perHour(backends[i]!.usedMs());
      result[project].samples.push({ value: cpu, wallMs: seconds * 1000, cpuMs: workers[i]!.cpuMs() - before[i]! });
      result.notes.push(`${project}: its ${backends[i]!.count} PostgreSQL backend(s) used ${backendsPerHour.toFixed(1)} CPU s/h over the same window.`);
      context.say(`  k ${project.padEnd(9)}: ${cpu.toFixed(1)} CPU s/h (backends ${backendsPerHour.toFixed(1)})`);
    }
    result.notes.unshift(`both workers waited at the same time, each on its own empty database; window ${seconds.toFixed(0)} s after start-up and 2 s, extrapolated to an hour; /proc/<pid>/stat utime+stime of the worker's process group.`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    for (const project of projects) result[project].errors.push(message);
  } finally {
    for (const worker of workers) await stopWorker(worker).catch((error: unknown) => context.say(`  k: ${String(error)}`));
  }
  return result;
}
