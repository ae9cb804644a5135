// jobsystem's side of the bench: its config file, databases, enqueue, run_jobs processes and
// the check that a run really drained the queue.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applySchema } from '../lib/services/database/applySchema.ts';
import { openDataSource } from '../lib/services/database/dataSource.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { LatencyJob } from './latencyJobClass.ts';
import { NoopJob } from './noopJobClass.ts';
import { createDatabase, databaseUrl, settle, withClient } from './postgres.ts';
import { runProcess, startProcess, type ProcessRun, type RunningProcess } from './process.ts';

export const DATABASE = 'bench_jobsystem';
export const TEMPLATE = 'bench_jobsystem_template';
export const HISTORY_TEMPLATE = 'bench_jobsystem_history_template';
export const CONFIG_FILE = fromRoot('bench/config/bench.ini');
export const RUN_JOBS = fromRoot('cronscripts/run_jobs.ts');
export const WORKER = fromRoot('cronscripts/worker.ts');
export const JOB_TYPE = NoopJob.name;

/** The defaults of [job_runner]: one job at a time. */
export const DEFAULT_SECTION = 'bench_noop';
/** The latency cases' section: LatencyJob, the [job_runner] defaults. */
export const LATENCY_SECTION = 'bench_latency';
export const LATENCY_JOB_TYPE = 'LatencyJob';

/** Case l: a crontab group of this many sections of the no-op source (an empty cron minute). */
export const EMPTY_GROUP = 'BENCH_EMPTY';
export const EMPTY_GROUP_SECTIONS = Array.from({ length: 10 }, (_, i) => `bench_empty_${i + 1}`);
export const PROCESS_GROUPS = fromRoot('cronscripts/process-job-source-groups.ts');

export interface FastCandidate {
  section: string;
  batchSize: number;
  concurrency: number;
}

/** The configurations case c tries; the fastest is used for c and f. */
export const FAST_CANDIDATES: FastCandidate[] = [500, 1000, 2000].flatMap((batchSize) =>
  [1, 4, 24].map((concurrency) => ({ section: `bench_noop_fast_b${batchSize}_c${concurrency}`, batchSize, concurrency })));

/** bench/config/bench.ini, written at bench start (the database URL comes from the cluster). */
export function writeBenchConfig(admin: string): void {
  const fast = FAST_CANDIDATES.map((candidate) => `
[${candidate.section}]
# Case c candidate: ${candidate.batchSize} jobs per claim, ${candidate.concurrency} at once.
link: job_runner
dbuser: postgres
source_interface: bench.noopJob.INoopJobSource
batch_size: ${candidate.batchSize}
concurrency: ${candidate.concurrency}
lease_duration: 5m
`).join('');
  const empty = EMPTY_GROUP_SECTIONS.map((section) => `
[${section}]
# Case l: one of the ${EMPTY_GROUP_SECTIONS.length} sections of crontab group ${EMPTY_GROUP}.
link: job_runner
dbuser: postgres
source_interface: bench.noopJob.INoopJobSource
crontab_group: ${EMPTY_GROUP}
`).join('');
  const text = `# Written by bench/jobsystem.ts at every bench start: edit FAST_CANDIDATES there, not here.
# The bench's jobsystem instance: JOBS_CONFIG=bench/config/bench.ini cronscripts/run_jobs.ts bench_noop
[meta]
extends: ../../config/schema.ini

[database]
url: ${databaseUrl(admin, DATABASE)}

[error_reports]
error_dir: var/bench/oops

[scripts]
lock_dir: var/bench/lock
log_timestamps: false

[${DEFAULT_SECTION}]
# The defaults of [job_runner] (batch_size 50, concurrency 1).
link: job_runner
dbuser: postgres
source_interface: bench.noopJob.INoopJobSource

[${LATENCY_SECTION}]
# The latency cases (cronscripts/worker.ts --section ${LATENCY_SECTION}): jobs that record
# their start, the defaults of [job_runner].
link: job_runner
dbuser: postgres
source_interface: bench.latencyJob.ILatencyJobSource
${fast}${empty}`;
  mkdirSync(join(CONFIG_FILE, '..'), { recursive: true });
  writeFileSync(CONFIG_FILE, text);
}

/** The template every run's database is copied from: schema.sql applied, no jobs. */
export async function prepareTemplate(admin: string): Promise<void> {
  await applySchema(await createDatabase(admin, TEMPLATE));
}

/**
 * How the history rows of case f are laid out in the table's pages.
 * - `as-run` (the bench's): as the job system leaves them. Each job is inserted WAITING and
 *   finished by an UPDATE (one here, where the runner makes two), whose new version goes to a
 *   page of its own; VACUUM then frees the pages the WAITING versions held, and new jobs fill
 *   those, side by side, as they fill the space vacuum frees in a live table.
 * - `packed`: the rows inserted COMPLETED, page after full page. Every page then keeps the same
 *   few bytes free (49 rows of 164 bytes leave 132 of 8,168), which PostgreSQL's free space map
 *   offers to new rows: since the queue and priority columns a new job's row is 120 bytes, so
 *   it fits, and 20,000 new jobs land one per history page, 20,000 cold pages (bench/README.md).
 */
export type HistoryLayout = 'as-run' | 'packed';

/** A copy of the template with `rows` COMPLETED NoopJob rows (case f); returns how long the
 * insert took and how long the VACUUM ANALYZE after it took, in ms. */
export async function prepareHistoryTemplate(admin: string, rows: number, layout: HistoryLayout = 'as-run'): Promise<{ insertMs: number; vacuumMs: number }> {
  const url = await createDatabase(admin, HISTORY_TEMPLATE, TEMPLATE);
  return withClient(url, async (client) => {
    const started = performance.now();
    if (layout === 'packed') {
      await client.query(
        `INSERT INTO job (job_type, status, attempt_count, date_created, date_started, date_finished, json_data, claimed_by)
         SELECT $1, 'COMPLETED', 1, at, at, at, jsonb_build_object('i', i), 'bench:history'
         FROM (SELECT i, now() - ($2::integer - i) * interval '1 second' AS at FROM generate_series(1, $2::integer) AS i) AS history`,
        [JOB_TYPE, rows]);
    } else {
      await client.query(
        `INSERT INTO job (job_type, date_created, json_data)
         SELECT $1, now() - ($2::integer - i) * interval '1 second', jsonb_build_object('i', i) FROM generate_series(1, $2::integer) AS i`,
        [JOB_TYPE, rows]);
      await client.query(
        `UPDATE job SET status = 'COMPLETED', attempt_count = 1, date_started = date_created, date_finished = date_created, claimed_by = 'bench:history'
         WHERE job_type = $1`, [JOB_TYPE]);
    }
    const insertMs = performance.now() - started;
    await client.query('VACUUM (ANALYZE) job');
    return { insertMs, vacuumMs: performance.now() - started - insertMs };
  });
}

/** A fresh database for one run, copied from `template`. */
export async function freshDatabase(admin: string, template = TEMPLATE): Promise<string> {
  return createDatabase(admin, DATABASE, template);
}

/** Enqueue `count` NoopJobs with NoopJob.createMany in one transaction; returns the ms of the
 * transaction (BEGIN, the one INSERT, COMMIT), not of opening the connection. */
export async function enqueue(url: string, count: number): Promise<number> {
  const dataSource = await openDataSource(url, { applicationName: 'bench enqueue' });
  try {
    const payloads = Array.from({ length: count }, (_, i) => ({ i }));
    await dataSource.query('SELECT 1');
    const started = performance.now();
    const ids = await dataSource.transaction((manager) => NoopJob.createMany(manager, payloads));
    const ms = performance.now() - started;
    if (ids.length !== count) throw new Error(`createMany returned ${ids.length} ids for ${count} jobs`);
    return ms;
  } finally {
    await dataSource.destroy();
  }
}

/** Fresh database with `count` waiting jobs, settled; returns its URL. */
export async function databaseWithJobs(admin: string, count: number, template = TEMPLATE): Promise<string> {
  const url = await freshDatabase(admin, template);
  if (count > 0) await enqueue(url, count);
  await settle(url);
  return url;
}

export interface RunJobsOptions {
  url: string;
  section: string;
  logFile: string;
  lockDir?: string;
  timeoutMs: number;
}

/** One `cronscripts/run_jobs.ts <section>` process, from spawn to exit. */
export async function runJobs(options: RunJobsOptions): Promise<ProcessRun> {
  const args = [options.section, ...(options.lockDir ? ['--lock-dir', options.lockDir] : [])];
  return runProcess(RUN_JOBS, args, {
    cwd: fromRoot('.'),
    env: { ...process.env, JOBS_CONFIG: CONFIG_FILE, DATABASE_URL: options.url },
    logFile: options.logFile,
    timeoutMs: options.timeoutMs,
  });
}

/** One `cronscripts/process-job-source-groups.ts <group>` process, from spawn to exit. */
export async function processGroups(options: { url: string; group: string; logFile: string; timeoutMs: number }): Promise<ProcessRun> {
  return runProcess(PROCESS_GROUPS, [options.group], {
    cwd: fromRoot('.'),
    env: { ...process.env, JOBS_CONFIG: CONFIG_FILE, DATABASE_URL: options.url },
    logFile: options.logFile,
    timeoutMs: options.timeoutMs,
  });
}

/** Throws unless every NoopJob is COMPLETED and `expected` of them exist. */
export async function checkDrained(url: string, expected: number): Promise<void> {
  const rows = await withClient(url, async (client) => (await client.query<{ status: string; n: number }>(
    'SELECT status, count(*)::integer AS n FROM job WHERE job_type = $1 GROUP BY status', [JOB_TYPE])).rows);
  const counts = Object.fromEntries(rows.map((row) => [row.status, row.n]));
  const completed = counts.COMPLETED ?? 0;
  if (completed !== expected || rows.length > (expected > 0 ? 1 : 0)) {
    throw new Error(`jobsystem did not drain the queue: expected ${expected} COMPLETED, found ${JSON.stringify(counts)}`);
  }
}

export interface WorkerOptions {
  url: string;
  section: string;
  logFile: string;
  /** --poll (default: the worker's own, 10s). */
  poll?: string;
}

/** The line cronscripts/worker.ts logs once it listens and serves. */
export const WORKER_READY = 'Worker ready';

/** A long-running `cronscripts/worker.ts --section <section>` on the default queue. */
export function startWorker(options: WorkerOptions): RunningProcess {
  const args = ['--section', options.section, ...(options.poll ? ['--poll', options.poll] : [])];
  return startProcess(WORKER, args, {
    cwd: fromRoot('.'),
    env: { ...process.env, JOBS_CONFIG: CONFIG_FILE, DATABASE_URL: options.url },
    logFile: options.logFile,
  });
}

/** One enqueuer for the long-running cases, on one pooled connection. */
export interface Enqueuer {
  /** One job in a transaction of its own (the latency cases); resolves to the server's clock
   * (epoch ms) read right after its COMMIT, by the server, in the same message as the COMMIT. */
  enqueueLatencyJob(seq: number): Promise<number>;
  /** Many no-op jobs in one statement (the sustained case's feeder). */
  enqueueNoop(count: number): Promise<void>;
  /** Ready (WAITING) jobs now. */
  waiting(): Promise<number>;
  /** Jobs completed so far. */
  completed(): Promise<number>;
  query<T>(text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** The server's clock in epoch ms. Sent in one simple-query message right behind a COMMIT, it
 * is read by the server as soon as the COMMIT is done: no delay of the enqueuing process (a
 * busy core) falls between the two, as it could with a query sent after COMMIT returned. */
export const COMMIT_CLOCK = 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms';

/** The enqueuers' application_name: the long-running cases leave their backends out of the
 * workers' PostgreSQL CPU. */
export const ENQUEUER_NAME = 'bench enqueue';

export async function openEnqueuer(url: string): Promise<Enqueuer> {
  const dataSource = await openDataSource(url, { applicationName: ENQUEUER_NAME, poolSize: 1 });
  const count = async (text: string, values: unknown[]) => ((await dataSource.query(text, values)) as Array<{ n: number }>)[0]!.n;
  return {
    enqueueLatencyJob: async (seq) => {
      const queryRunner = dataSource.createQueryRunner();
      await queryRunner.connect();
      try {
        await queryRunner.startTransaction();
        await LatencyJob.create(queryRunner.manager, { seq });
        const client = (queryRunner as unknown as { databaseConnection: { query(text: string): Promise<unknown> } }).databaseConnection;
        const results = (await client.query(`COMMIT; ${COMMIT_CLOCK}`)) as Array<{ rows: Array<{ ms: number }> }>;
        Object.assign(queryRunner, { isTransactionActive: false, transactionDepth: 0 });
        return results[1]!.rows[0]!.ms;
      } finally {
        if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
        await queryRunner.release();
      }
    },
    enqueueNoop: async (n) => {
      await dataSource.transaction((manager) => NoopJob.createMany(manager, Array.from({ length: n }, (_, i) => ({ i }))));
    },
    waiting: () => count("SELECT count(*)::integer AS n FROM job WHERE status = 'WAITING' AND job_type = $1", [JOB_TYPE]),
    completed: () => count("SELECT count(*)::integer AS n FROM job WHERE status = 'COMPLETED' AND job_type = $1", [JOB_TYPE]),
    query: async <T>(text: string, values: unknown[] = []) => (await dataSource.query(text, values)) as T[],
    close: () => dataSource.destroy(),
  };
}
