// graphile-worker's side of the bench: its schema (runMigrations), enqueue (addJobs), its CLI
// (`graphile-worker --once`) and the check that a run drained the queue. Its task directory is
// bench/graphile/tasks (one no-op task, bench_noop); the CLI finds it as ./tasks from its cwd.
import { Logger, makeWorkerUtils, runMigrations, type AddJobsJobSpec } from 'graphile-worker';
import { readFileSync } from 'node:fs';
import { fromRoot } from '../lib/services/paths.ts';
import { COMMIT_CLOCK, ENQUEUER_NAME, type Enqueuer } from './jobsystem.ts';
import { createDatabase, settle, withClient } from './postgres.ts';
import { runProcess, startProcess, type ProcessRun, type RunningProcess } from './process.ts';

export const DATABASE = 'bench_graphile';
export const TEMPLATE = 'bench_graphile_template';
export const TASK = 'bench_noop';
/** bench/graphile/latency/tasks/bench_latency.cjs: records its start in bench_latency. */
export const LATENCY_TASK = 'bench_latency';

export const CLI = fromRoot('node_modules/.bin/graphile-worker');
export const WORKDIR = fromRoot('bench/graphile');
/** The latency cases' graphile-worker runs from here: its tasks/ holds bench_latency only, so
 * the other cases' task directory (and start-up) stays as it was. */
export const LATENCY_WORKDIR = fromRoot('bench/graphile/latency');
/** Its published fastest configuration: concurrentJobs 24, maxPoolSize 25, localQueue 500,
 * completeJobBatchDelay 0, failJobBatchDelay 0. */
export const FASTEST_CONFIG = fromRoot('bench/graphile/fastest.config.cjs');

export function version(): string {
  return (JSON.parse(readFileSync(fromRoot('node_modules/graphile-worker/package.json'), 'utf8')) as { version: string }).version;
}

/** The template every run's database is copied from: graphile-worker's migrations applied. */
export async function prepareTemplate(admin: string): Promise<void> {
  const url = await createDatabase(admin, TEMPLATE);
  await runMigrations({ connectionString: url, logger: quietLogger() });
}

export async function freshDatabase(admin: string): Promise<string> {
  return createDatabase(admin, DATABASE, TEMPLATE);
}

/** Enqueue `count` bench_noop jobs with one workerUtils.addJobs call (one statement,
 * graphile_worker.add_jobs); returns the ms of that call, not of opening the pool. */
export async function enqueue(url: string, count: number): Promise<number> {
  const utils = await makeWorkerUtils({ connectionString: url, logger: quietLogger() });
  try {
    const specs: AddJobsJobSpec[] = Array.from({ length: count }, (_, i) => ({ identifier: TASK, payload: { i } }));
    await utils.withPgClient((client) => client.query('SELECT 1'));
    const started = performance.now();
    const jobs = await utils.addJobs(specs);
    const ms = performance.now() - started;
    if (jobs.length !== count) throw new Error(`addJobs returned ${jobs.length} jobs for ${count}`);
    return ms;
  } finally {
    await utils.release();
  }
}

export async function databaseWithJobs(admin: string, count: number): Promise<string> {
  const url = await freshDatabase(admin);
  if (count > 0) await enqueue(url, count);
  await settle(url);
  return url;
}

export interface WorkerOptions {
  url: string;
  logFile: string;
  /** --jobs N (concurrency); ignored with the fastest config, which sets 24. */
  jobs?: number;
  fastest?: boolean;
  timeoutMs: number;
}

/** One `graphile-worker --once` process, from spawn to exit. NO_LOG_SUCCESS=1 as in
 * graphile-worker's own perf test: no log line per completed job (jobsystem logs none either). */
export async function runOnce(options: WorkerOptions): Promise<ProcessRun> {
  const args = ['--once', '--connection', options.url];
  if (options.fastest) args.push('--config', FASTEST_CONFIG);
  else if (options.jobs) args.push('--jobs', String(options.jobs));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_LOG_SUCCESS: '1' };
  delete env.DATABASE_URL;
  return runProcess(CLI, args, { cwd: WORKDIR, env, logFile: options.logFile, timeoutMs: options.timeoutMs });
}

/** A long-running `graphile-worker` (its run(): LISTEN/NOTIFY and a poll every pollInterval,
 * default 2 s), with its default concurrency 1 or its fastest configuration. */
export function startWorker(options: Omit<WorkerOptions, 'timeoutMs' | 'jobs'> & { latencyTask?: boolean }): RunningProcess {
  const args = ['--connection', options.url, ...(options.fastest ? ['--config', FASTEST_CONFIG] : [])];
  const env: NodeJS.ProcessEnv = { ...process.env, NO_LOG_SUCCESS: '1' };
  delete env.DATABASE_URL;
  return startProcess(CLI, args, { cwd: options.latencyTask ? LATENCY_WORKDIR : WORKDIR, env, logFile: options.logFile });
}

/** Whether a graphile-worker has LISTENed on `url`'s database (its last statement on its
 * listening connection; with NO_LOG_SUCCESS it logs no "ready" line). */
export async function listening(url: string): Promise<boolean> {
  return withClient(url, async (client) => (await client.query(
    "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN \"jobs:insert\"%'")).rows.length > 0);
}

/** graphile-worker deletes a job when it completes: a drained queue has no job rows left. */
export async function checkDrained(url: string): Promise<void> {
  const left = await withClient(url, async (client) => (await client.query<{ n: number }>(
    'SELECT count(*)::integer AS n FROM graphile_worker._private_jobs')).rows[0]!.n);
  if (left !== 0) throw new Error(`graphile-worker did not drain the queue: ${left} jobs left`);
}

/** graphile-worker's Logger, silent except for errors (for the harness's own calls). */
function quietLogger(): Logger {
  return new Logger(() => (level, message) => {
    if (String(level) === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
  });
}

/** One enqueuer for the long-running cases (the same shape as jobsystem's, bench/jobsystem.ts). */
export async function openEnqueuer(url: string): Promise<Enqueuer> {
  const named = new URL(url);
  named.searchParams.set('application_name', ENQUEUER_NAME);
  const utils = await makeWorkerUtils({ connectionString: named.toString(), logger: quietLogger() });
  let added = 0;
  const count = async (text: string) => (await utils.withPgClient((client) => client.query<{ n: number }>(text))).rows[0]!.n;
  return {
    enqueueLatencyJob: async (seq) => {
      // Its SQL API (what addJob calls), so that the clock is read as jobsystem's is: by the
      // server, in the COMMIT's message. seq is an integer of ours.
      const results = (await utils.withPgClient(async (client) => {
        try {
          return await client.query(`BEGIN; SELECT graphile_worker.add_job('${LATENCY_TASK}', json_build_object('seq', ${Number(seq)})); COMMIT; ${COMMIT_CLOCK}`);
        } catch (error) {
          // A failed add_job leaves the BEGIN open: end it before the pool takes the client back.
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      })) as unknown as Array<{ rows: Array<{ ms: number }> }>;
      return results[3]!.rows[0]!.ms;
    },
    enqueueNoop: async (n) => {
      const jobs = await utils.addJobs(Array.from({ length: n }, (_, i) => ({ identifier: TASK, payload: { i } })));
      added += jobs.length;
    },
    waiting: () => count('SELECT count(*)::integer AS n FROM graphile_worker._private_jobs'),
    // It deletes a job when it completes: completed = added - rows left (the caller does not
    // add while it counts).
    completed: async () => added - (await count('SELECT count(*)::integer AS n FROM graphile_worker._private_jobs')),
    query: async <T>(text: string, values: unknown[] = []) => (await utils.withPgClient((client) => client.query(text, values))).rows as T[],
    close: async () => {
      await utils.release();
    },
  };
}
