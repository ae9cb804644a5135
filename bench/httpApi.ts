// npm run bench:http: the jobs API with 1,000,000 finished jobs in the table and 200 clients
// for 30 s on 127.0.0.1, against cronscripts/jobs-api.ts run as a process of its own.
//   HTTP_BENCH_ROWS=1000000 HTTP_BENCH_CLIENTS=200 HTTP_BENCH_SECONDS=30 npm run bench:http
// It prints, and writes to bench/results/http-latest.md: the history insert, the plan of every
// statement behind GET /jobs, /metrics and the status page (EXPLAIN ANALYZE: which index, how
// long), single-request times, the load's answers and latencies, and the server's database
// connections before, during and after. Exit 1 when a query reads the job table sequentially,
// a request failed, or a connection was left behind.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { applySchema } from '../lib/services/database/applySchema.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { explainApiQueries, insertHistory, runClients, serverConnections, type QueryPlan } from './httpLoad.ts';
import { adminUrl, createDatabase } from './postgres.ts';

const DATABASE = 'bench_http';
const APPLICATION = 'jobsystem jobs-api';
const TOKEN = `bench-${process.pid}-0123456789abcdef`;
const POOL_SIZE = 10;

function count(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, not '${process.env[name]}'`);
  return value;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<number> {
  const rows = count('HTTP_BENCH_ROWS', 1_000_000);
  const clients = count('HTTP_BENCH_CLIENTS', 200);
  const seconds = count('HTTP_BENCH_SECONDS', 30);
  const lines: string[] = [];
  const say = (line: string) => {
    console.log(line);
    lines.push(line);
  };
  say(`# jobs API under load: ${rows.toLocaleString('en-US')} finished jobs, ${clients} clients for ${seconds} s`);
  say('');
  say(`load average at start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const admin = await adminUrl();
  const url = await createDatabase(admin, DATABASE);
  await applySchema(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let failed = false;
  try {
    const { insertMs, vacuumMs } = await insertHistory(client, rows);
    say(`history: INSERT ... SELECT generate_series ${(insertMs / 1000).toFixed(1)} s, VACUUM ANALYZE ${(vacuumMs / 1000).toFixed(1)} s`);
    say('');
    say('| statement | plan (job table and indexes) | EXPLAIN ANALYZE ms |');
    say('|---|---|---|');
    const plans: QueryPlan[] = await explainApiQueries(client);
    for (const plan of plans) {
      say(`| ${plan.name} | ${plan.scans.join(', ')} | ${plan.ms.toFixed(1)} |`);
      if (plan.seqScanOnJob) failed = true;
    }
    say('');

    const dir = fromRoot('var/bench/http');
    mkdirSync(dir, { recursive: true });
    const config = `${dir}/http.ini`;
    writeFileSync(config, [
      '[meta]', `extends: ${fromRoot('config/schema.ini')}`, '',
      '[database]', `url: ${url}`, '',
      '[error_reports]', `error_dir: ${dir}/oops`, '',
      '[scripts]', `lock_dir: ${dir}/lock`, '',
      '[jobs_api]', 'port: 0', 'tokens: bench:read-only:env:HTTP_BENCH_TOKEN', `pool_size: ${POOL_SIZE}`, '',
    ].join('\n'));
    const env: NodeJS.ProcessEnv = { ...process.env, JOBS_CONFIG: config, HTTP_BENCH_TOKEN: TOKEN };
    delete env.DATABASE_URL;
    const server = spawn(fromRoot('cronscripts/jobs-api.ts'), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout.on('data', (chunk) => (output += chunk));
    server.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => server.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 120_000;
      let address: string | undefined;
      while (!(address = /listening on (http:\/\/\S+) /.exec(output)?.[1])) {
        if (Date.now() > deadline || server.exitCode !== null) throw new Error(`jobs-api did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const headers = { authorization: `Bearer ${TOKEN}` };
      const paths = ['/jobs?limit=50', '/jobs?status=FAILED&limit=50', '/metrics', '/status/fragment'];
      say('| one request at a time (5 each) | median ms | slowest ms |');
      say('|---|---|---|');
      for (const path of paths) {
        const times: number[] = [];
        for (let n = 0; n < 5; n++) {
          const started = performance.now();
          const response = await fetch(`${address}${path}`, { headers });
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
          times.push(performance.now() - started);
        }
        say(`| GET ${path} | ${median(times).toFixed(1)} | ${Math.max(...times).toFixed(1)} |`);
      }
      say('');
      const before = await serverConnections(client, DATABASE, APPLICATION);
      let most = before;
      let watching = true;
      const watch = (async () => {
        while (watching) {
          most = Math.max(most, await serverConnections(client, DATABASE, APPLICATION));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      const result = await runClients(address, { clients, durationMs: seconds * 1000, paths, headers });
      watching = false;
      await watch;
      const after = await serverConnections(client, DATABASE, APPLICATION);
      say(`load: ${result.requests.toLocaleString('en-US')} requests in ${result.seconds.toFixed(1)} s (${(result.requests / result.seconds).toFixed(0)}/s) from ${clients} clients, ${result.errors.length} errors${result.errors.length ? `: ${[...new Set(result.errors)].slice(0, 5).join('; ')}` : ''}`);
      say('');
      say('| path | requests | p50 ms | p99 ms | max ms |');
      say('|---|---|---|---|---|');
      for (const [path, { count: n, p50, p99, max }] of Object.entries(result.latency)) say(`| GET ${path} | ${n} | ${p50.toFixed(0)} | ${p99.toFixed(0)} | ${max.toFixed(0)} |`);
      say('');
      server.kill('SIGTERM');
      const status = await exited;
      let left = await serverConnections(client, DATABASE, APPLICATION);
      for (const stop = Date.now() + 10_000; left > 0 && Date.now() < stop; left = await serverConnections(client, DATABASE, APPLICATION)) await new Promise((resolve) => setTimeout(resolve, 100));
      say(`server connections (pool_size ${POOL_SIZE}): ${before} before the load, at most ${most} during, ${after} after; jobs-api exited ${status} on SIGTERM, leaving ${left}`);
      say(`load average at end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
      if (result.errors.length > 0 || left > 0 || most > POOL_SIZE || status !== 143) failed = true;
    } finally {
      server.kill('SIGKILL');
    }
  } finally {
    await client.end();
  }
  mkdirSync(fromRoot('bench/results'), { recursive: true });
  writeFileSync(fromRoot('bench/results/http-latest.md'), `${lines.join('\n')}\n`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
