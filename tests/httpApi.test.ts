// The JSON routes of the jobs API, on the admin service layer: listing with filters and keyset
// pages, one job, the status changes and their errors (404, 409), prune, unserved types, OOPS
// reports, enqueue by job name, and the OpenAPI description.
import test from 'ava';
import { createOops } from '../lib/services/oops/report.ts';
import { writeOops } from '../lib/services/oops/store.ts';
import { makeJob } from './helpers/factory.ts';
import { makeTestApi, type TestApi } from './helpers/apiServer.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'httpapi');
let api: TestApi;

test.serial.before(async () => {
  api = await makeTestApi(db());
});

test.after.always(async () => {
  await api?.app.close();
});

const status = async (id: number) => (await db().admin.query('SELECT status FROM job WHERE id = $1', [id]))[0]?.status;

test.serial('GET /jobs pages by id, newest first, with filters', async (t) => {
  await db().admin.query('DELETE FROM job');
  const ids: number[] = [];
  for (let n = 0; n < 7; n++) ids.push((await makeJob(db().admin.manager, { status: n % 2 === 0 ? 'COMPLETED' : 'FAILED', jobType: n < 4 ? 'DoFooJob' : 'OtherJob' })).id);
  const seen: number[] = [];
  let afterId: number | null = null;
  let pages = 0;
  do {
    const url: string = `/jobs?limit=3${afterId ? `&afterId=${afterId}` : ''}`;
    const response = await api.app.inject({ url, headers: api.asReader });
    t.is(response.statusCode, 200);
    const page: { jobs: Array<{ id: number }>; nextAfterId: number | null } = response.json();
    seen.push(...page.jobs.map((job: { id: number }) => job.id));
    afterId = page.nextAfterId;
    pages += 1;
  } while (afterId !== null);
  t.is(pages, 3);
  t.deepEqual(seen, [...ids].reverse());
  const failed = (await api.app.inject({ url: '/jobs?status=FAILED&type=DoFooJob,OtherJob&order=asc', headers: api.asReader })).json();
  t.deepEqual(failed.jobs.map((job: { id: number }) => job.id), [ids[1], ids[3], ids[5]]);
  t.is((await api.app.inject({ url: '/jobs?type=OtherJob&queue=default', headers: api.asReader })).json().jobs.length, 3);
  t.is((await api.app.inject({ url: '/jobs?queue=nosuchqueue', headers: api.asReader })).json().jobs.length, 0);
  const bad = await api.app.inject({ url: '/jobs?status=DONE', headers: api.asReader });
  t.is(bad.statusCode, 400);
  t.regex(bad.json().message, /unknown status 'DONE'/);
});

test.serial('GET /jobs/:id shows one job; an unknown id is 404', async (t) => {
  const job = await makeJob(db().admin.manager, { status: 'FAILED', jobType: 'DoFooJob' });
  const shown = await api.app.inject({ url: `/jobs/${job.id}`, headers: api.asReader });
  t.is(shown.statusCode, 200);
  t.is(shown.json().job.id, job.id);
  t.is(shown.json().job.status, 'FAILED');
  t.is(shown.json().columns.job_type, 'DoFooJob');
  const missing = await api.app.inject({ url: '/jobs/999999999', headers: api.asReader });
  t.is(missing.statusCode, 404);
  t.deepEqual(missing.json(), { error: 'Not Found', message: "Job '999999999' does not exist." });
});

test.serial('retry, suspend, resume and cancel change the status through the admin layer; a change the status does not allow is 409', async (t) => {
  const failed = await makeJob(db().admin.manager, { status: 'FAILED' });
  const retried = await api.app.inject({ method: 'POST', url: `/jobs/${failed.id}/retry`, headers: api.asAdmin });
  t.is(retried.statusCode, 200);
  t.like(retried.json(), { action: 'retry', oldStatus: 'FAILED', operator: 'api:ops', job: { status: 'WAITING' } });
  t.is(await status(failed.id), 'WAITING');
  t.true(api.logger.lines.some((line) => line === `INFO api:ops retried job ${failed.id} (TestJob): Failed -> Waiting.`));

  // No body at all (curl -X POST without -d) is fine on every action.
  t.is((await api.app.inject({ method: 'POST', url: `/jobs/${failed.id}/suspend`, headers: api.asAdmin })).json().job.status, 'SUSPENDED');
  t.is((await api.app.inject({ method: 'POST', url: `/jobs/${failed.id}/resume`, headers: api.asAdmin })).json().job.status, 'WAITING');
  const cancelled = await api.app.inject({ method: 'POST', url: `/jobs/${failed.id}/cancel`, headers: api.asAdmin, payload: { reason: 'customer asked' } });
  t.is(cancelled.statusCode, 200);
  t.is(cancelled.json().job.status, 'FAILED');
  t.is(cancelled.json().job.lastError, 'Cancelled by api:ops: customer asked');

  const completed = await makeJob(db().admin.manager, { status: 'COMPLETED' });
  const refused = await api.app.inject({ method: 'POST', url: `/jobs/${completed.id}/retry`, headers: api.asAdmin });
  t.is(refused.statusCode, 409);
  t.regex(refused.json().message, /^Transition from Completed to Waiting is invalid: only a failed job can be retried\.$/);
  t.is(await status(completed.id), 'COMPLETED');
  t.is((await api.app.inject({ method: 'POST', url: '/jobs/999999999/retry', headers: api.asAdmin })).statusCode, 404);
});

test.serial('POST /prune deletes old finished jobs and says how many', async (t) => {
  const old = await makeJob(db().admin.manager, { status: 'COMPLETED' });
  await db().admin.query(`UPDATE job SET date_created = now() - interval '40 days', date_finished = now() - interval '40 days' WHERE id = $1`, [old.id]);
  const recent = await makeJob(db().admin.manager, { status: 'COMPLETED' });
  const response = await api.app.inject({ method: 'POST', url: '/prune', headers: api.asAdmin, payload: { olderThan: '30d' } });
  t.is(response.statusCode, 200);
  t.is(response.json().deleted, 1);
  t.is(await status(old.id), undefined);
  t.is(await status(recent.id), 'COMPLETED');
});

test.serial('GET /job-types/unserved names waiting jobs no section runs', async (t) => {
  const job = await makeJob(db().admin.manager, { jobType: 'NobodyRunsThisJob' });
  const report = (await api.app.inject({ url: '/job-types/unserved', headers: api.asReader })).json();
  t.deepEqual(report.jobTypes.find((row: { jobType: string }) => row.jobType === 'NobodyRunsThisJob'), { jobType: 'NobodyRunsThisJob', count: 1, ids: [job.id] });
  t.true(report.servedTypes.includes('DoFooJob'));
});

test.serial('GET /oops lists reports newest first and GET /oops/:id shows one; an unknown one is 404', async (t) => {
  const first = createOops(new Error('first failure'), { reporter: 'LOCAL-test', now: new Date(Date.now() - 1000) });
  const second = createOops(new Error('second failure'), { reporter: 'LOCAL-test' });
  await writeOops(db().errorDir, first);
  await writeOops(db().errorDir, second);
  const listing = (await api.app.inject({ url: '/oops?limit=1', headers: api.asReader })).json();
  t.is(listing.reports.length, 1);
  t.is(listing.more, true);
  const shown = await api.app.inject({ url: `/oops/${first.id}`, headers: api.asReader });
  t.is(shown.statusCode, 200);
  t.is(shown.json().value, 'first failure');
  t.is((await api.app.inject({ url: '/oops/OOPS-doesnotexist', headers: api.asReader })).statusCode, 404);
});

test.serial('POST /jobs creates a multi-step job by name, its workspace checked by the schema of that name', async (t) => {
  const created = await api.app.inject({ method: 'POST', url: '/jobs', headers: api.asAdmin, payload: { name: 'import_cats', workspace: { names: ['Tom'] }, queue: 'bulk', priority: 5 } });
  t.is(created.statusCode, 201, created.body);
  const { job, workspace } = created.json();
  t.like(job, { jobType: 'import_cats', status: 'WAITING', state: 'NEW', queueName: 'bulk', priority: 5 });
  t.deepEqual(workspace, { names: ['Tom'], request: `import_cats job ${job.id}` }, 'the creation hook ran');
  t.is(await status(job.id), 'WAITING');

  const unknown = await api.app.inject({ method: 'POST', url: '/jobs', headers: api.asAdmin, payload: { name: 'import_dogs' } });
  t.is(unknown.statusCode, 400);
  t.is(unknown.json().message, "unknown job name 'import_dogs'; known job names: CreateInstanceJob, DeleteInstanceJob, UpgradeInstanceJob, import_cats");
  for (const payload of [{ name: 'import_cats', workspace: { names: 'Tom' } }, { name: 'import_cats', workspace: { colour: 'red' } }, { name: 'import_cats', when: 'now' }, {}]) {
    const response = await api.app.inject({ method: 'POST', url: '/jobs', headers: api.asAdmin, payload });
    t.is(response.statusCode, 400, JSON.stringify(payload));
  }
  t.is((await db().admin.query(`SELECT count(*)::int AS n FROM job WHERE job_type = 'import_cats'`))[0].n, 1, 'nothing else was created');
});

test.serial('/openapi.json describes every route with its schemas, the workspace schema of each job name included', async (t) => {
  const document = (await api.app.inject({ url: '/openapi.json' })).json();
  t.is(document.openapi, '3.1.0');
  for (const path of ['/jobs', '/jobs/{id}', '/jobs/{id}/retry', '/jobs/{id}/suspend', '/jobs/{id}/resume', '/jobs/{id}/cancel', '/prune', '/job-types/unserved', '/oops', '/oops/{id}', '/oops/prune', '/metrics', '/status/fragment']) {
    t.truthy(document.paths[path], path);
  }
  t.deepEqual(document.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
  t.regex(JSON.stringify(document.paths['/jobs'].post), /"enum":\["import_cats"\]},"workspace":\{"type":"object","properties":\{"names"/);
});
