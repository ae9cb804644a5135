// npm run bench: jobsystem side by side with graphile-worker on the embedded PostgreSQL.
//   BENCH_SCALE=0.05 npm run bench   a quick smoke run (5% of the jobs)
//   BENCH_REPEAT=5 npm run bench     more repetitions (default 3)
//   BENCH_CASES=a,b npm run bench    some cases only (f and g need c: it runs too; h and i
//                                    are one measurement, and so are n and o)
// Results: the table below, bench/results/latest.json and bench/results/latest.md.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fromRoot } from '../lib/services/paths.ts';
import { emptyCronMinute } from './cases/emptyCronMinute.ts';
import { emptyQueue } from './cases/emptyQueue.ts';
import { enqueue } from './cases/enqueue.ts';
import { fastest, type Tuning } from './cases/fastest.ts';
import { fourProcesses } from './cases/fourProcesses.ts';
import { history } from './cases/history.ts';
import { idle } from './cases/idle.ts';
import { latency } from './cases/latency.ts';
import { memory } from './cases/memory.ts';
import { oneAtATime } from './cases/oneAtATime.ts';
import { resourceDrain } from './cases/resourceDrain.ts';
import { resourceEnqueue } from './cases/resourceEnqueue.ts';
import { sustained } from './cases/sustained.ts';
import * as graphile from './graphile.ts';
import { LOG_DIR, type BenchContext, type CaseResult } from './harness.ts';
import * as jobsystem from './jobsystem.ts';
import { machineInfo } from './machine.ts';
import { adminUrl, dropDatabase, serverSettings, serverVersion } from './postgres.ts';
import { killChildrenOnInterrupt, rssMethod } from './process.ts';
import { RESOURCE_TEMPLATE } from './resourceJobs.ts';
import { summarise } from './summary.ts';
import { markdown, textTable } from './table.ts';

function positiveNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not '${text}'`);
  return value;
}

const ALL_CASES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o'];

async function main(): Promise<number> {
  const started = performance.now();
  const scale = positiveNumber('BENCH_SCALE', 1);
  const repeat = Math.round(positiveNumber('BENCH_REPEAT', 3));
  const wanted = new Set((process.env.BENCH_CASES || ALL_CASES.join(',')).split(',').map((id) => id.trim()));
  if (wanted.has('f') || wanted.has('g')) wanted.add('c');
  if (wanted.has('h') || wanted.has('i')) ['h', 'i'].forEach((id) => wanted.add(id));
  if (wanted.has('n') || wanted.has('o')) ['n', 'o'].forEach((id) => wanted.add(id));
  killChildrenOnInterrupt();
  const say = (message: string) => console.log(message);

  say(`bench: BENCH_SCALE=${scale} BENCH_REPEAT=${repeat}, cases ${[...wanted].sort().join(',')}`);
  const admin = await adminUrl();
  rmSync(LOG_DIR, { recursive: true, force: true });
  mkdirSync(fromRoot('var/bench/lock'), { recursive: true });
  const context: BenchContext = { admin, scale, repeat, timeoutMs: 15 * 60_000, logDir: LOG_DIR, say };
  const machine = machineInfo(await serverVersion(admin), await serverSettings(admin), graphile.version());
  say(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.postgres.split(' on ')[0]}, graphile-worker ${machine.graphileWorker}, peak RSS by ${rssMethod}`);

  say('setting up: bench/config/bench.ini, template databases (jobsystem schema.sql, graphile-worker migrations)');
  jobsystem.writeBenchConfig(admin);
  await jobsystem.prepareTemplate(admin);
  await graphile.prepareTemplate(admin);
  // The first run of each pays one-off costs (the OS page cache, PostgreSQL's first connections).
  say('warming up: one run of each on an empty queue (not counted)');
  await emptyQueue({ ...context, repeat: 1, say: () => undefined });

  const results: CaseResult[] = [];
  let tuning: Tuning | undefined;
  const runCase = async (id: string, work: () => Promise<CaseResult | CaseResult[]>) => {
    if (!wanted.has(id)) return;
    const caseStarted = performance.now();
    const load = loadavg();
    say(`case ${id}... (load average ${load.map((n) => n.toFixed(2)).join(' ')})`);
    for (const result of [await work()].flat()) {
      result.loadAverage = { start: load, end: loadavg() };
      results.push(result);
    }
    say(`case ${id} took ${((performance.now() - caseStarted) / 1000).toFixed(0)} s`);
  };
  await runCase('a', () => emptyQueue(context));
  await runCase('b', () => oneAtATime(context));
  await runCase('c', async () => {
    const outcome = await fastest(context);
    tuning = outcome.tuning;
    return outcome.result;
  });
  await runCase('d', () => enqueue(context));
  await runCase('e', () => fourProcesses(context));
  await runCase('f', () => history(context, tuning!));
  await runCase('g', () => memory(context, tuning!));
  await runCase('h', () => latency(context));
  await runCase('j', () => sustained(context, tuning));
  await runCase('k', () => idle(context));
  await runCase('l', () => emptyCronMinute(context));
  await runCase('m', () => resourceEnqueue(context));
  await runCase('n', () => resourceDrain(context));

  for (const name of [jobsystem.DATABASE, jobsystem.HISTORY_TEMPLATE, RESOURCE_TEMPLATE, graphile.DATABASE]) await dropDatabase(admin, name);

  const durationS = (performance.now() - started) / 1000;
  const rows = summarise(results);
  say('');
  say(textTable(rows));
  say('');
  say(`ratio = jobsystem / graphile-worker; whole bench ${(durationS / 60).toFixed(1)} min`);

  const resultsDir = fromRoot('bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const settings = { scale, repeat, durationS };
  writeFileSync(`${resultsDir}/latest.json`, `${JSON.stringify({ machine, settings, rssMethod, summary: rows, cases: results }, null, 2)}\n`);
  writeFileSync(`${resultsDir}/latest.md`, markdown({ machine, settings, rows, results }));
  say(`wrote bench/results/latest.json and bench/results/latest.md; child logs in var/bench/logs/`);
  const broken = results.flatMap((result) => [...result.jobsystem.errors, ...result.graphile.errors]);
  if (broken.length > 0) say(`${broken.length} run(s) failed; see the table and the logs`);
  return broken.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
}
