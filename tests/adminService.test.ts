// The admin service layer (lib/services/admin/): every function on real PostgreSQL.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import {
  BadAdminRequest, cancelJob, changeJobStatus, InvalidTransition, JobBusy, JobNotFound, listAdminLog, listJobs, listOopsReports, OopsNotFound,
  pruneOldJobs, pruneOldOops, resumeJob, retryJob, showJob, showOops, suspendJob, unservedJobTypes, type Operator,
} from '../lib/services/admin/index.ts';
import { FrozenClock } from '../lib/services/clock.ts';
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { JobStatus } from '../lib/services/job/interfaces/jobStatus.ts';
import { createOops } from '../lib/services/oops/report.ts';
import { writeOops } from '../lib/services/oops/store.ts';
import { makeFoo, makeJob, reloadJob } from './helpers/factory.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'admin_service');
let client: pg.Client;
const lines: string[] = [];
const alice: Operator = { name: 'alice', log: (line) => lines.push(line) };

test.serial.before(async () => {
  client = new pg.Client({ connectionString: db().url });
  await client.connect();
});
test.after.always(async () => {
  await client?.end();
});
test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
  await db().admin.query('DELETE FROM admin_log');
  lines.length = 0;
});

async function jobIn(status: JobStatus, fields: Parameters<typeof makeJob>[1] = {}): Promise<number> {
  return (await makeJob(db().admin.manager, { status, ...fields })).id;
}

async function statusOf(id: number): Promise<JobStatus> {
  return (await reloadJob(db().admin.manager, id)).status;
}

async function rowOf(id: number): Promise<Record<string, unknown>> {
  return (await db().admin.query('SELECT to_jsonb(job) AS row FROM job WHERE id = $1', [id]))[0].row;
}

// listJobs

test.serial('listJobs pages by id, newest first by default, and says where the next page starts', async (t) => {
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push(await jobIn('WAITING'));
  const first = await listJobs(client, {}, { limit: 2 });
  t.deepEqual(first.jobs.map((job) => job.id), [ids[4], ids[3]]);
  t.is(first.nextAfterId, ids[3]!);
  const second = await listJobs(client, {}, { limit: 2, afterId: first.nextAfterId! });
  t.deepEqual(second.jobs.map((job) => job.id), [ids[2], ids[1]]);
  const last = await listJobs(client, {}, { limit: 2, afterId: second.nextAfterId! });
  t.deepEqual(last.jobs.map((job) => job.id), [ids[0]]);
  t.is(last.nextAfterId, null);
  const ascending = await listJobs(client, {}, { order: 'asc', afterId: ids[2]! });
  t.deepEqual(ascending.jobs.map((job) => job.id), [ids[3], ids[4]]);
});

test.serial('listJobs filters by status, job_state state, job type, queue and age', async (t) => {
  const failed = await jobIn('FAILED', { jobType: 'TypeA' });
  const fresh = await jobIn('WAITING', { jobType: 'TypeB' });
  const retried = await jobIn('WAITING', { jobType: 'TypeA', attemptCount: 1 });
  const running = await jobIn('RUNNING', { jobType: 'TypeB' });
  await db().admin.query(`UPDATE job SET queue_name = 'slow', date_created = now() - interval '2 days' WHERE id = $1`, [failed]);
  const ids = async (filters: Parameters<typeof listJobs>[1]) => (await listJobs(client, filters, { order: 'asc' })).jobs.map((job) => job.id);
  t.deepEqual(await ids({ status: ['FAILED'] }), [failed]);
  t.deepEqual(await ids({ status: ['failed', 'running'] }), [failed, running]);
  t.deepEqual(await ids({ status: ['NEW'] }), [fresh]);
  t.deepEqual(await ids({ status: ['READY'] }), [retried]);
  t.deepEqual(await ids({ status: ['PROCESSING'] }), [running]);
  t.deepEqual(await ids({ status: ['NEW', 'FAILED'] }), [failed, fresh]);
  t.deepEqual(await ids({ jobType: ['TypeA'] }), [failed, retried]);
  t.deepEqual(await ids({ queue: ['slow'] }), [failed]);
  t.deepEqual(await ids({ createdBefore: new Date(Date.now() - 86_400_000) }), [failed]);
  t.deepEqual(await ids({ createdAfter: new Date(Date.now() - 86_400_000), jobType: ['TypeB'] }), [fresh, running]);
  const [summary] = (await listJobs(client, { status: ['NEW'] })).jobs;
  t.like(summary, { id: fresh, jobType: 'TypeB', status: 'WAITING', state: 'NEW', queueName: 'default', attemptCount: 0 });
  t.false('workspace' in summary!);
});

test.serial('listJobs refuses a bad filter or page with BadAdminRequest', async (t) => {
  await t.throwsAsync(listJobs(client, { status: ['DONE'] }), { instanceOf: BadAdminRequest, message: /unknown status 'DONE'; valid: WAITING, RUNNING, COMPLETED, FAILED, SUSPENDED, NEW, READY, PROCESSING/ });
  await t.throwsAsync(listJobs(client, {}, { limit: 1001 }), { instanceOf: BadAdminRequest, message: /limit must be a whole number from 1 to 1000/ });
  await t.throwsAsync(listJobs(client, {}, { limit: 0 }), { instanceOf: BadAdminRequest });
  await t.throwsAsync(listJobs(client, { createdBefore: 'yesterday-ish' }), { instanceOf: BadAdminRequest, message: /is not a date/ });
  await t.throwsAsync(listJobs(client, { jobType: [] }), { instanceOf: BadAdminRequest });
});

test.serial('listJobs filters by resource only where the job table has the column', async (t) => {
  const hasColumn = (await db().admin.query(`SELECT 1 FROM pg_attribute WHERE attrelid = 'job'::regclass AND attname = 'resource_type'`)).length > 0;
  if (hasColumn) {
    t.deepEqual((await listJobs(client, { resourceType: 'no-such-type' })).jobs, []);
  } else {
    await t.throwsAsync(listJobs(client, { resourceType: 'branch' }), { instanceOf: BadAdminRequest, message: /has no resource_type column/ });
  }
});

test.serial('listing failed jobs reads the failed/suspended index, not the whole table', async (t) => {
  const plan = await client.query(`EXPLAIN SELECT id FROM job WHERE job.status IN ('FAILED') ORDER BY job.id DESC LIMIT 51`);
  t.regex(plan.rows.map((row) => row['QUERY PLAN']).join('\n'), /job__failed_suspended_by_id__idx/);
});

// showJob

test.serial('showJob shows the job row, its domain row, workspace, error and OOPS summary', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager);
  const job = await DoFooJob.create(manager, foo, { colour: 'blue' });
  const errorDir = join(db().dir, 'oops-show');
  const report = createOops(new TypeError('no frozzle'), { reporter: 'TEST-do_foo' });
  await writeOops(errorDir, report);
  await db().admin.query(`UPDATE job SET status = 'FAILED', last_error = 'TypeError: no frozzle', last_oops = $2, workspace = '{"k": 1}' WHERE id = $1`, [job.job.id, report.id]);
  const details = await showJob(client, job.job.id, { errorDir });
  t.like(details.job, { id: job.job.id, jobType: 'DoFooJob', status: 'FAILED', lastError: 'TypeError: no frozzle', lastOops: report.id });
  t.deepEqual(details.workspace, { k: 1 });
  t.deepEqual(details.domainRows, [{ table: 'foojob', row: { job: job.job.id, foo: foo.id, job_type: 'DO_FOO', json_data: { colour: 'blue' } } }]);
  t.deepEqual(details.oops, { id: report.id, report: { id: report.id, time: report.time, type: 'TypeError', value: 'no frozzle', reporter: 'TEST-do_foo' } });
  t.is(details.columns.id, job.job.id);
  t.deepEqual(details.history, []);
  // Plain JSON all through: what the HTTP API sends is what the command line prints.
  t.deepEqual(JSON.parse(JSON.stringify(details)), details);
});

test.serial('showJob of a job whose OOPS report is gone names the id with no report', async (t) => {
  const id = await jobIn('FAILED');
  await db().admin.query(`UPDATE job SET last_oops = 'OOPS-gone1234' WHERE id = $1`, [id]);
  const details = await showJob(client, id, { errorDir: join(db().dir, 'oops-empty') });
  t.deepEqual(details.oops, { id: 'OOPS-gone1234', report: null });
  t.deepEqual(details.domainRows, []);
});

test.serial('showJob of an unknown id is JobNotFound', async (t) => {
  await t.throwsAsync(showJob(client, 987654), { instanceOf: JobNotFound, message: "Job '987654' does not exist." });
  await t.throwsAsync(showJob(client, -1), { instanceOf: BadAdminRequest });
});

// retry, suspend, resume, cancel

test.serial('retry takes a FAILED job back to WAITING, ready at once, logged with who and when', async (t) => {
  const id = await jobIn('FAILED', { attemptCount: 3, maxRetries: 2, scheduledStart: new Date(Date.now() + 3_600_000) });
  await db().admin.query(`UPDATE job SET last_error = 'Error: boom', date_finished = now() WHERE id = $1`, [id]);
  const change = await retryJob(client, id, alice);
  t.like(change, { action: 'retry', oldStatus: 'FAILED', operator: 'alice', job: { id, status: 'WAITING', attemptCount: 0, scheduledStart: null, lastError: 'Error: boom' } });
  t.like(await rowOf(id), { status: 'WAITING', attempt_count: 0, scheduled_start: null, date_finished: null, last_error: 'Error: boom' });
  const [entry] = await listAdminLog(client, { job: id });
  t.like(entry, { id: change.logId, operator: 'alice', action: 'retry', job: id, oldStatus: 'FAILED', newStatus: 'WAITING' });
  t.true(Math.abs(Date.parse(entry!.dateLogged) - Date.now()) < 3_600_000);
  t.deepEqual(lines, [`alice retried job ${id} (TestJob): Failed -> Waiting.`]);
  t.like((await showJob(client, id)).history[0], { action: 'retry', operator: 'alice' });
});

for (const status of ['COMPLETED', 'WAITING', 'RUNNING', 'SUSPENDED'] as const) {
  test.serial(`retry of a ${status} job raises InvalidTransition and changes nothing`, async (t) => {
    const id = await jobIn(status);
    const before = await rowOf(id);
    const error = await t.throwsAsync(retryJob(client, id, alice), { instanceOf: InvalidTransition });
    t.regex(error!.message, /^Transition from \w+ to Waiting is invalid: only a failed job can be retried\.$/);
    t.deepEqual(await rowOf(id), before);
    t.deepEqual(await listAdminLog(client), []);
    t.deepEqual(lines, []);
  });
}

test.serial('suspend and resume: WAITING -> SUSPENDED -> WAITING, the lease cleared', async (t) => {
  const id = await jobIn('WAITING');
  t.like(await suspendJob(client, id, alice), { oldStatus: 'WAITING', job: { status: 'SUSPENDED' } });
  await db().admin.query(`UPDATE job SET lease_expires = now() + interval '1 hour', claimed_by = 'host:1' WHERE id = $1`, [id]);
  t.like(await resumeJob(client, id, alice), { oldStatus: 'SUSPENDED', job: { status: 'WAITING', leaseExpires: null, claimedBy: null } });
  t.deepEqual((await listAdminLog(client, { job: id })).map((entry) => entry.action), ['resume', 'suspend']);
});

test.serial('suspend of a RUNNING job and resume of a WAITING one are InvalidTransition, nothing changed', async (t) => {
  const running = await jobIn('RUNNING');
  await t.throwsAsync(suspendJob(client, running, alice), { instanceOf: InvalidTransition, message: /Running to Suspended is invalid: only a waiting job/ });
  const waiting = await jobIn('WAITING');
  await t.throwsAsync(resumeJob(client, waiting, alice), { instanceOf: InvalidTransition, message: /only a suspended job can be resumed/ });
  t.is(await statusOf(running), 'RUNNING');
  t.is(await statusOf(waiting), 'WAITING');
  t.deepEqual(await listAdminLog(client), []);
});

test.serial('cancel fails a WAITING or SUSPENDED job with the reason as its last error', async (t) => {
  const waiting = await jobIn('WAITING');
  const suspended = await jobIn('SUSPENDED');
  await db().admin.query(`UPDATE job SET last_oops = 'OOPS-old' WHERE id = $1`, [waiting]);
  const change = await cancelJob(client, waiting, alice, 'duplicate of\njob 12');
  t.like(change.job, { status: 'FAILED', lastError: 'Cancelled by alice: duplicate of job 12', lastOops: null });
  t.not(change.job.dateFinished, null);
  t.like(await cancelJob(client, suspended, alice), { oldStatus: 'SUSPENDED', job: { lastError: 'Cancelled by alice: no reason given' } });
  t.like((await listAdminLog(client, { job: waiting }))[0], { action: 'cancel', detail: 'Cancelled by alice: duplicate of job 12' });
});

for (const status of ['RUNNING', 'COMPLETED', 'FAILED'] as const) {
  test.serial(`cancel of a ${status} job raises InvalidTransition and changes nothing`, async (t) => {
    const id = await jobIn(status);
    const before = await rowOf(id);
    await t.throwsAsync(cancelJob(client, id, alice, 'why'), { instanceOf: InvalidTransition, message: /to Failed is invalid: only a waiting or suspended job can be cancelled/ });
    t.deepEqual(await rowOf(id), before);
  });
}

test.serial('a change of an unknown job is JobNotFound, with nothing logged', async (t) => {
  await t.throwsAsync(retryJob(client, 987654, alice), { instanceOf: JobNotFound, message: "Job '987654' does not exist." });
  t.deepEqual(await listAdminLog(client), []);
});

test.serial('a change needs a named operator', async (t) => {
  const id = await jobIn('FAILED');
  await t.throwsAsync(retryJob(client, id, { name: ' ' }), { instanceOf: BadAdminRequest });
  t.is(await statusOf(id), 'FAILED');
});

test.serial('a change of a job whose row a runner keeps locked is JobBusy after the lock timeout, nothing changed', async (t) => {
  const id = await jobIn('FAILED');
  const holder = new pg.Client({ connectionString: db().url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM job WHERE id = $1 FOR UPDATE', [id]);
    const { inAdminTransaction } = await import('../lib/services/admin/operator.ts');
    // A short lock timeout, so the test does not wait the default 10 s.
    await t.throwsAsync(changeJobStatus(client, 'retry', id, alice, { lockTimeoutMs: 50 }), { instanceOf: JobBusy, message: `Job '${id}' is being changed by a runner; try again in a moment.` });
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
  t.is(await statusOf(id), 'FAILED');
  t.deepEqual(await listAdminLog(client), []);
});

// prune, unserved, OOPS

test.serial('pruneOldJobs deletes what delete_old_jobs would, and logs it', async (t) => {
  const old = await jobIn('COMPLETED');
  const kept = await jobIn('FAILED');
  await db().admin.query(`UPDATE job SET date_created = now() - interval '3 days', date_finished = now() - interval '3 days' WHERE id = $1`, [old]);
  const report = await pruneOldJobs(client, { olderThanMs: 86_400_000 }, alice);
  t.is(report.deleted, 1);
  t.deepEqual((await db().admin.query('SELECT id FROM job')).map((row: { id: string }) => Number(row.id)), [kept]);
  t.like((await listAdminLog(client))[0], { action: 'prune', job: null, operator: 'alice' });
  t.regex((await listAdminLog(client))[0]!.detail!, /^deleted 1 COMPLETED or FAILED jobs older than /);
});

test.serial('unservedJobTypes names waiting job types no section runs, with counts', async (t) => {
  await jobIn('WAITING', { jobType: 'NobodyRunsMe' });
  await jobIn('WAITING', { jobType: 'NobodyRunsMe' });
  await jobIn('FAILED', { jobType: 'NobodyRunsMeEither' });
  const manager = db().admin.manager;
  await DoFooJob.create(manager, await makeFoo(manager));
  const report = await unservedJobTypes(client, loadConfig());
  t.deepEqual(report.jobTypes.map(({ jobType, count }) => ({ jobType, count })), [{ jobType: 'NobodyRunsMe', count: 2 }]);
  t.true(report.servedTypes.includes('DoFooJob'));
});

test.serial('OOPS reports: listed newest first, shown whole, pruned by age, and a prune is logged', async (t) => {
  const errorDir = join(db().dir, 'oops-list');
  const clock = new FrozenClock(new Date('2026-11-20T12:00:00Z'));
  const ids: string[] = [];
  for (const time of ['2026-11-18T10:00:00Z', '2026-11-19T09:00:00Z', '2026-11-19T15:00:00Z']) {
    const report = createOops(new Error(`at ${time}`), { reporter: 'TEST-x', now: new Date(time) });
    const path = await writeOops(errorDir, report);
    // Within a day the listing goes by the files' times, as written.
    utimesSync(path, new Date(time), new Date(time));
    ids.push(report.id);
  }
  const listing = await listOopsReports(errorDir, { limit: 2 });
  t.deepEqual(listing.reports.map((report) => report.value), ['at 2026-11-19T15:00:00Z', 'at 2026-11-19T09:00:00Z']);
  t.true(listing.more);
  t.deepEqual((await listOopsReports(errorDir, { beforeId: listing.reports[1]!.id })).reports.map((report) => report.id), [ids[0]]);
  t.like(await showOops(errorDir, ids[1]!), { id: ids[1], value: 'at 2026-11-19T09:00:00Z', reporter: 'TEST-x' });
  await t.throwsAsync(showOops(errorDir, 'OOPS-nosuch'), { instanceOf: OopsNotFound, message: "OOPS 'OOPS-nosuch' does not exist." });
  await t.throwsAsync(showOops(errorDir, '../../etc/passwd'), { instanceOf: BadAdminRequest });
  // Older than 1 day at 2026-11-20T12:00: the cutoff is 2026-11-19T12:00.
  const pruned = await pruneOldOops(client, errorDir, 86_400_000, alice, clock);
  t.is(pruned.deleted, 2);
  t.deepEqual((await listOopsReports(errorDir)).reports.map((report) => report.id), [ids[2]]);
  t.like((await listAdminLog(client))[0], { action: 'prune_oops', detail: 'deleted 2 OOPS reports filed before 2026-11-19T12:00:00.000Z' });
});

test.serial('listing OOPS reports of an error_dir that does not exist yet is empty', async (t) => {
  mkdirSync(join(db().dir, 'oops-none'), { recursive: true });
  writeFileSync(join(db().dir, 'oops-none', 'README'), 'not a day folder');
  t.deepEqual(await listOopsReports(join(db().dir, 'oops-none')), { reports: [], more: false });
  t.deepEqual(await listOopsReports(join(db().dir, 'no-such-dir')), { reports: [], more: false });
});
