// The cost of one drain counted by PostgreSQL, not timed: what the statements of one
// `run_jobs` drain read, write and log per job, with and without history rows in the table.
// These counts do not depend on how busy the machine is, so they can tell apart causes that
// wall-time runs on a shared machine cannot.
//   npx tsx bench/profileDrain.ts [section] [jobs] [historyRows] [as-run|packed] [SQL run on the template first]
// e.g. ... bench_noop_fast_b2000_c1 20000 1000000 packed 'DROP INDEX job__finished_created__idx'
// Needs pg_stat_statements preloaded on the bench's embedded cluster (it says how if not).
// Prints, per variant: statements per job and per statement text (calls, rows, shared buffers
// hit/read/dirtied, WAL bytes), buffer pages per index of `job`, heap updates and HOT updates,
// and the WAL written per job.
import * as jobsystem from './jobsystem.ts';
import { adminUrl, databaseUrl, withClient } from './postgres.ts';
import { runProcess } from './process.ts';
import { LOG_DIR } from './harness.ts';
import { mkdirSync } from 'node:fs';

const section = process.argv[2] ?? 'bench_noop_fast_b2000_c1';
const jobs = Number(process.argv[3] ?? 20_000);
const historyRows = Number(process.argv[4] ?? 1_000_000);
const layout = (process.argv[5] ?? 'as-run') as jobsystem.HistoryLayout;
const templateSql = process.argv[6];

interface StatementRow { query: string; calls: number; rows: number; hit: number; read: number; dirtied: number; wal: number; ms: number }

async function profile(admin: string, template: string, label: string, history: number): Promise<void> {
  const url = await jobsystem.databaseWithJobs(admin, jobs, template);
  await withClient(url, async (client) => {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
    await client.query('SELECT pg_stat_reset()');
  });
  const walBefore = await withClient(url, async (client) => (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn);
  mkdirSync(LOG_DIR, { recursive: true });
  const run = await runProcess(jobsystem.RUN_JOBS, [section], {
    cwd: process.cwd(),
    env: { ...process.env, JOBS_CONFIG: jobsystem.CONFIG_FILE, DATABASE_URL: url },
    logFile: `${LOG_DIR}/profile-${label}.log`,
    timeoutMs: 10 * 60_000,
  });
  if (run.exitCode !== 0) throw new Error(`run_jobs exited ${run.exitCode}`);
  await jobsystem.checkDrained(url, jobs + history);
  await withClient(url, async (client) => {
    const wal = (await client.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS bytes', [walBefore])).rows[0]!.bytes;
    const statements = (await client.query<StatementRow>(
      `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls::integer, rows::integer,
         shared_blks_hit::integer AS hit, shared_blks_read::integer AS read, shared_blks_dirtied::integer AS dirtied,
         wal_bytes::bigint AS wal, round(total_exec_time)::integer AS ms
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND query !~* 'pg_stat_statements|pg_stat_reset|pg_current_wal_lsn'
       ORDER BY shared_blks_hit + shared_blks_read DESC`)).rows;
    const indexes = (await client.query<{ index: string; scans: number; hit: number; read: number }>(
      `SELECT s.indexrelname AS index, s.idx_scan::integer AS scans, io.idx_blks_hit::integer AS hit, io.idx_blks_read::integer AS read
       FROM pg_stat_user_indexes s JOIN pg_statio_user_indexes io USING (indexrelid)
       WHERE s.relname = 'job' ORDER BY io.idx_blks_hit + io.idx_blks_read DESC`)).rows;
    const table = (await client.query<Record<string, number>>(
      `SELECT t.n_tup_upd::integer AS updates, t.n_tup_hot_upd::integer AS hot_updates, t.seq_scan::integer AS seq_scans,
         t.seq_tup_read::integer AS seq_rows_read, io.heap_blks_hit::integer AS heap_hit, io.heap_blks_read::integer AS heap_read,
         t.autovacuum_count::integer AS autovacuums, t.autoanalyze_count::integer AS autoanalyzes
       FROM pg_stat_user_tables t JOIN pg_statio_user_tables io USING (relid) WHERE t.relname = 'job'`)).rows[0]!;
    const perJob = (n: number) => (n / jobs).toFixed(2);
    const total = statements.reduce((sum, s) => ({ calls: sum.calls + s.calls, hit: sum.hit + s.hit, read: sum.read + s.read, wal: sum.wal + Number(s.wal) }), { calls: 0, hit: 0, read: 0, wal: 0 });
    console.log(`\n== ${label}: ${section}, ${jobs} jobs, ${history} finished rows in the table (wall ${(run.wallMs / 1000).toFixed(2)} s, CPU of run_jobs ${run.cpuMs ?? '?'} ms; not the point here)`);
    console.log(`statements ${total.calls} (${perJob(total.calls)} per job); per job, shared buffers hit ${perJob(total.hit)}, read ${perJob(total.read)}, WAL ${perJob(Number(wal))} bytes (statements' own WAL ${perJob(total.wal)})`);
    console.log(`table job: ${JSON.stringify(table)}`);
    console.log('statements (calls, rows, buffers hit/read/dirtied, WAL bytes, exec ms):');
    for (const s of statements) console.log(`  ${String(s.calls).padStart(6)} ${String(s.rows).padStart(6)} ${String(s.hit).padStart(8)}/${s.read}/${s.dirtied} ${String(s.wal).padStart(9)} ${String(s.ms).padStart(5)}  ${s.query.slice(0, 150)}`);
    console.log('indexes of job (scans, buffers hit/read):');
    for (const i of indexes) console.log(`  ${String(i.scans).padStart(7)} ${String(i.hit).padStart(8)}/${i.read}  ${i.index}`);
  });
}

const admin = await adminUrl();
const preloaded = await withClient(admin, async (client) => (await client.query<{ v: string }>("SELECT current_setting('shared_preload_libraries') AS v")).rows[0]!.v);
if (!preloaded.includes('pg_stat_statements')) {
  console.error(`pg_stat_statements is not preloaded: psql '${admin}' -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'", then npm run db:stop (the next run starts it again)`);
  process.exit(2);
}
jobsystem.writeBenchConfig(admin);
await jobsystem.prepareTemplate(admin);
if (templateSql) await withClient(databaseUrl(admin, jobsystem.TEMPLATE), (client) => client.query(templateSql));
if (historyRows > 0) {
  // A copy of the template: the SQL applies to it too.
  await jobsystem.prepareHistoryTemplate(admin, historyRows, layout);
}
console.log(`history layout ${layout}${templateSql ? `; on both templates first: ${templateSql}` : ''}`);
await profile(admin, jobsystem.TEMPLATE, 'without-history', 0);
if (historyRows > 0) await profile(admin, jobsystem.HISTORY_TEMPLATE, 'with-history', historyRows);
