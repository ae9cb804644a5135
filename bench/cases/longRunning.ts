// What the long-running cases (h to k) share: a fresh database per project with the latency
// table, each project's long-running worker started and stopped, and the enqueuer.
import * as graphile from '../graphile.ts';
import * as jobsystem from '../jobsystem.ts';
import { logFile, type BenchContext, type Project } from '../harness.ts';
import { settle, withClient } from '../postgres.ts';
import { processCpuMs, type RunningProcess } from '../process.ts';
import { CREATE_TABLE } from '../latencyTable.ts';

/** How many repetitions the long-running cases make: one fewer than the others (they take
 * longer each), at least 1. */
export function longRepeat(context: BenchContext): number {
  return Math.max(1, context.repeat - 1);
}

export interface WorkerSetup {
  /** jobsystem: the job section served (default: the latency one); graphile-worker: its
   * fastest configuration with the no-op task, or its defaults with the latency task. */
  section?: string;
  fastest?: boolean;
}

/** A fresh, settled database for `project`, with the latency table. */
export async function freshDatabase(context: BenchContext, project: Project): Promise<string> {
  const url = project === 'jobsystem' ? await jobsystem.freshDatabase(context.admin) : await graphile.freshDatabase(context.admin);
  await withClient(url, (client) => client.query(CREATE_TABLE));
  await settle(url);
  return url;
}

/** Start `project`'s long-running worker on `url` and wait until it says it is ready. */
export async function startWorker(context: BenchContext, project: Project, url: string, name: string, setup: WorkerSetup): Promise<RunningProcess> {
  const log = logFile(context, name);
  const worker = project === 'jobsystem'
    ? jobsystem.startWorker({ url, section: setup.section ?? jobsystem.LATENCY_SECTION, logFile: log })
    : graphile.startWorker({ url, logFile: log, fastest: setup.fastest, latencyTask: !setup.fastest });
  try {
    // jobsystem's worker logs when it is ready; graphile-worker with NO_LOG_SUCCESS does not,
    // so its LISTEN session is looked for.
    if (project === 'jobsystem') await worker.waitForLog(jobsystem.WORKER_READY, 60_000);
    else await until(() => graphile.listening(url), 60_000, 'graphile-worker did not LISTEN');
  } catch (error) {
    await worker.stop(1000);
    throw error;
  }
  return worker;
}

/** SIGTERM and wait: jobsystem's worker exits 143 (128 + SIGTERM), graphile-worker kills
 * itself with SIGTERM once it has shut down. */
export async function stopWorker(worker: RunningProcess): Promise<void> {
  const { exitCode, signal } = await worker.stop();
  if (exitCode !== 0 && exitCode !== 143 && signal !== 'SIGTERM') throw new Error(`the worker exited ${exitCode ?? signal} on SIGTERM (log ${worker.logFile})`);
}

export function openEnqueuer(project: Project, url: string): Promise<jobsystem.Enqueuer> {
  return project === 'jobsystem' ? jobsystem.openEnqueuer(url) : graphile.openEnqueuer(url);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wait until `check` is true, looking every 20 ms; throws with `what` at the deadline. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

/** The CPU used from now on by the PostgreSQL backends of `url`'s database that serve the
 * worker (every backend but the enqueuer's and this query's own). */
export async function backendCpu(url: string): Promise<{ count: number; usedMs(): number }> {
  const pids = await withClient(url, async (client) => (await client.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> $1',
    [jobsystem.ENQUEUER_NAME])).rows.map((row) => row.pid));
  const before = pids.map(processCpuMs);
  return { count: pids.length, usedMs: () => pids.reduce((sum, pid, i) => sum + processCpuMs(pid) - before[i]!, 0) };
}
