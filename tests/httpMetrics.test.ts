// GET /metrics: Prometheus text read from the job table at scrape time, scraped over TCP and
// parsed here, against jobs arranged at known times (the server's clock is frozen).
import test from 'ava';
import { FrozenClock } from '../lib/services/clock.ts';
import { makeTestApi, type TestApi } from './helpers/apiServer.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'httpmetrics');
const NOW = new Date('2031-03-04T12:00:00Z');
let api: TestApi;
let address: string;

test.serial.before(async () => {
  api = await makeTestApi(db(), { clock: new FrozenClock(NOW) });
  address = await api.app.listen({ host: '127.0.0.1', port: 0 });
});

test.after.always(async () => {
  await api?.app.close();
});

/** `name{a="x",b="y"} 1.5` lines -> [{name, labels, value}]; HELP and TYPE are checked to come first. */
function parseMetrics(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\w+) (gauge|counter|histogram|summary|untyped)$/.exec(line);
    if (type) typed.add(type[1]!);
    if (line.startsWith('#')) continue;
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    if (!typed.has(match[1]!)) throw new Error(`sample before its # TYPE line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function ago(seconds: number): Date {
  return new Date(NOW.getTime() - seconds * 1000);
}

test.serial('a scrape reports jobs by queue, type and status, oldest waiting age, expired leases and the last hour, as the table has them', async (t) => {
  const q = (sql: string, values: unknown[]) => db().admin.query(sql, values);
  const insert = `INSERT INTO job (job_type, status, queue_name, date_created, date_finished, scheduled_start, lease_expires) VALUES ($1, $2, $3, $4, $5, $6, $7)`;
  await q(insert, ['DoFooJob', 'WAITING', 'default', ago(90), null, null, null]);
  await q(insert, ['DoFooJob', 'WAITING', 'default', ago(30), null, null, null]);
  // Scheduled for later: waiting, but not ready, so not the oldest waiting.
  await q(insert, ['DoFooJob', 'WAITING', 'bulk', ago(3600), null, new Date(NOW.getTime() + 60_000), null]);
  // Scheduled 20 s ago, created long before: it has waited 20 s.
  await q(insert, ['import_cats', 'WAITING', 'bulk', ago(7200), null, ago(20), null]);
  await q(insert, ['DoFooJob', 'RUNNING', 'default', ago(100), null, null, ago(5)]);
  await q(insert, ['DoFooJob', 'RUNNING', 'default', ago(100), null, null, new Date(NOW.getTime() + 30_000)]);
  await q(insert, ['DoFooJob', 'FAILED', 'default', ago(600), ago(300), null, null]);
  await q(insert, ['DoFooJob', 'FAILED', 'default', ago(9000), ago(7200), null, null]);
  await q(insert, ['import_cats', 'COMPLETED', 'bulk', ago(600), ago(60), null, null]);
  await q(insert, ['import_cats', 'COMPLETED', 'bulk', ago(600), ago(59), null, null]);

  const response = await fetch(`${address}/metrics`, { headers: api.asReader });
  t.is(response.status, 200);
  t.regex(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const samples = parseMetrics(await response.text());
  const value = (name: string, labels: Record<string, string>) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;

  t.is(value('jobsystem_jobs', { queue: 'default', job_type: 'DoFooJob', status: 'WAITING' }), 2);
  t.is(value('jobsystem_jobs', { queue: 'bulk', job_type: 'DoFooJob', status: 'WAITING' }), 1);
  t.is(value('jobsystem_jobs', { queue: 'bulk', job_type: 'import_cats', status: 'WAITING' }), 1);
  t.is(value('jobsystem_jobs', { queue: 'default', job_type: 'DoFooJob', status: 'RUNNING' }), 2);
  t.is(value('jobsystem_jobs', { queue: 'default', job_type: 'DoFooJob', status: 'FAILED' }), 2);
  t.is(value('jobsystem_jobs', { queue: 'bulk', job_type: 'import_cats', status: 'COMPLETED' }), 2);
  t.is(samples.filter((s) => s.name === 'jobsystem_jobs').length, 6, 'no series for combinations with no jobs');
  t.is(value('jobsystem_oldest_waiting_seconds', { queue: 'default' }), 90);
  t.is(value('jobsystem_oldest_waiting_seconds', { queue: 'bulk' }), 20);
  t.is(value('jobsystem_expired_leases', { queue: 'default' }), 1);
  t.is(value('jobsystem_expired_leases', { queue: 'bulk' }), 0);
  t.is(value('jobsystem_failed_last_hour', { queue: 'default', job_type: 'DoFooJob' }), 1);
  t.is(value('jobsystem_completed_last_hour', { queue: 'bulk', job_type: 'import_cats' }), 2);
  t.true((value('jobsystem_metrics_read_seconds', {}) ?? -1) >= 0);

  // Read again at the next scrape: a job retried meanwhile moves from FAILED to WAITING.
  await q(`UPDATE job SET status = 'WAITING', date_finished = NULL WHERE status = 'FAILED' AND date_finished = $1`, [ago(300)]);
  const again = parseMetrics(await (await fetch(`${address}/metrics`, { headers: api.asReader })).text());
  t.is(again.find((s) => s.name === 'jobsystem_failed_last_hour'), undefined);
  t.is(again.find((s) => s.name === 'jobsystem_jobs' && s.labels.status === 'FAILED')?.value, 1);
  t.is(again.find((s) => s.name === 'jobsystem_jobs' && s.labels.status === 'WAITING' && s.labels.queue === 'default')?.value, 3);
});

test.serial('/metrics needs a token', async (t) => {
  t.is((await fetch(`${address}/metrics`)).status, 401);
});
