// The jobs API under load, shared by bench/httpApi.ts (1,000,000 finished jobs, 200 clients for
// 30 s) and tests/httpLoad.test.ts (the same at a small scale): history made with
// generate_series, the plans of the listing and metrics queries, and a loop of clients.
import type pg from 'pg';
import { listJobs, type JobFilters } from '../lib/services/admin/index.ts';
import { COUNT_JOBS_SQL } from '../lib/services/http/sql/countJobs.ts';
import { EXPIRED_LEASES_SQL } from '../lib/services/http/sql/expiredLeases.ts';
import { FINISHED_PER_MINUTE_SQL } from '../lib/services/http/sql/finishedPerMinute.ts';
import { OLDEST_WAITING_SQL } from '../lib/services/http/sql/oldestWaiting.ts';
import { OLDEST_WAITING_JOBS_SQL } from '../lib/services/http/sql/oldestWaitingJobs.ts';
import { RECENT_FAILURES_SQL } from '../lib/services/http/sql/recentFailures.ts';

/**
 * `rows` finished jobs, one a second back from now (1 in 50 FAILED, in two queues and three
 * types), plus a few waiting and running ones, in one INSERT ... SELECT; then VACUUM ANALYZE,
 * as autovacuum would leave a table that size.
 */
export async function insertHistory(client: pg.ClientBase, rows: number): Promise<{ insertMs: number; vacuumMs: number }> {
  const started = performance.now();
  await client.query(
    `INSERT INTO job (job_type, status, queue_name, attempt_count, date_created, date_started, date_finished, last_error)
     SELECT (ARRAY['DoFooJob', 'import_cats', 'SendMailJob'])[1 + i % 3],
       CASE WHEN i % 50 = 0 THEN 'FAILED' ELSE 'COMPLETED' END,
       CASE WHEN i % 4 = 0 THEN 'bulk' ELSE 'default' END,
       1, at - interval '2 seconds', at - interval '1 second', at,
       CASE WHEN i % 50 = 0 THEN 'KeyError: missing ' || i END
     FROM (SELECT i, now() - ($1::integer - i) * interval '1 second' AS at FROM generate_series(1, $1::integer) AS i) AS history`,
    [rows]);
  await client.query(`INSERT INTO job (job_type, status, queue_name, lease_expires)
    SELECT 'DoFooJob', CASE WHEN i % 5 = 0 THEN 'RUNNING' ELSE 'WAITING' END, 'default', CASE WHEN i % 5 = 0 THEN now() + interval '1 minute' END
    FROM generate_series(1, 100) AS i`);
  const insertMs = performance.now() - started;
  await client.query('VACUUM (ANALYZE) job');
  return { insertMs, vacuumMs: performance.now() - started - insertMs };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

export interface QueryPlan {
  name: string;
  /** "Index Only Scan using job__queue_type_status__idx", ... */
  scans: string[];
  /** True when some node reads the job table sequentially. */
  seqScanOnJob: boolean;
  ms: number;
}

async function explain(client: pg.ClientBase, name: string, text: string, values: unknown[]): Promise<QueryPlan> {
  const result = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
  const [root] = result.rows[0]!['QUERY PLAN'];
  const all = nodes(root!.Plan);
  return {
    name,
    scans: all.filter((node) => node['Relation Name'] === 'job' || node['Index Name']).map((node) => `${node['Node Type']}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`),
    seqScanOnJob: all.some((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'job'),
    ms: root!['Execution Time'],
  };
}

/** The statement listJobs sends for `filters`, taken from it as it goes to the database. */
async function listingStatement(filters: JobFilters): Promise<{ text: string; values: unknown[] }> {
  let captured: { text: string; values: unknown[] } | undefined;
  const capturing = {
    query: async (text: string, values: unknown[]) => {
      captured = { text, values };
      return { rows: [] };
    },
  } as unknown as pg.ClientBase;
  await listJobs(capturing, filters, { limit: 50 });
  return captured!;
}

/** EXPLAIN ANALYZE of every statement behind GET /jobs, /metrics and the status page. */
export async function explainApiQueries(client: pg.ClientBase): Promise<QueryPlan[]> {
  const plans: QueryPlan[] = [];
  const listings: Array<[string, JobFilters]> = [['GET /jobs', {}], ['GET /jobs?status=FAILED', { status: ['FAILED'] }], ['GET /jobs?status=WAITING', { status: ['WAITING'] }]];
  for (const [name, filters] of listings) {
    const { text, values } = await listingStatement(filters);
    plans.push(await explain(client, name, text, values));
  }
  const now = new Date();
  plans.push(await explain(client, 'countJobs (metrics, page)', COUNT_JOBS_SQL, []));
  plans.push(await explain(client, 'oldestWaiting (metrics, page)', OLDEST_WAITING_SQL, [now]));
  plans.push(await explain(client, 'expiredLeases (metrics, page)', EXPIRED_LEASES_SQL, [now]));
  plans.push(await explain(client, 'finishedPerMinute (metrics, page)', FINISHED_PER_MINUTE_SQL, [new Date(now.getTime() - 3_600_000)]));
  plans.push(await explain(client, 'recentFailures (page)', RECENT_FAILURES_SQL, [20]));
  plans.push(await explain(client, 'oldestWaitingJobs (page)', OLDEST_WAITING_JOBS_SQL, [20]));
  return plans;
}

export interface LoadResult {
  clients: number;
  seconds: number;
  requests: number;
  /** Answers other than 200, and requests that failed outright, with why. */
  errors: string[];
  /** Latency percentiles, ms, per path. */
  latency: Record<string, { count: number; p50: number; p99: number; max: number }>;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * `clients` loops, each sending one request at a time (the next path of `paths` in turn) with
 * `headers`, until `durationMs` has passed; then each finishes its request in flight. Node's
 * own fetch keeps its connections alive, as a dashboard or scraper would.
 */
export async function runClients(baseUrl: string, options: { clients: number; durationMs: number; paths: string[]; headers: Record<string, string> }): Promise<LoadResult> {
  const deadline = performance.now() + options.durationMs;
  const samples = new Map<string, number[]>(options.paths.map((path) => [path, []]));
  const errors: string[] = [];
  let requests = 0;
  const started = performance.now();
  const client = async (index: number) => {
    for (let n = index; performance.now() < deadline; n++) {
      const path = options.paths[n % options.paths.length]!;
      const sent = performance.now();
      try {
        const response = await fetch(`${baseUrl}${path}`, { headers: options.headers });
        await response.arrayBuffer();
        if (response.status !== 200) errors.push(`${path}: HTTP ${response.status}`);
      } catch (error) {
        errors.push(`${path}: ${(error as Error).message}`);
      }
      samples.get(path)!.push(performance.now() - sent);
      requests += 1;
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, index) => client(index)));
  const latency: LoadResult['latency'] = {};
  for (const [path, values] of samples) {
    const sorted = values.sort((a, b) => a - b);
    latency[path] = { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 };
  }
  return { clients: options.clients, seconds: (performance.now() - started) / 1000, requests, errors, latency };
}

/** Connections to `database` from the server's pool (its application_name); the parallel
 * workers a query may start show the same name, but are not connections. */
export async function serverConnections(client: pg.ClientBase, database: string, applicationName: string): Promise<number> {
  const result = await client.query<{ n: number }>("SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND backend_type = 'client backend'", [database, applicationName]);
  return result.rows[0]!.n;
}
