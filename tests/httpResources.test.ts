// Jobs on resources over HTTP: POST /jobs enqueues the instance jobs through their prediction
// (404 predicted missing, 409 create of an existing one, the refused job recorded), and
// GET /resources reads the instances (list sorted by name; one, as a snapshot or after the
// running job).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { JobRunner } from '../lib/services/job/runner.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { ResourceJob } from '../lib/services/resources/resourceJob.ts';
import { ResourceOption } from '../lib/services/resources/resourceOptions.ts';
import type { ResourceType } from '../lib/services/resources/resourceTypes.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { makeTestApi, type TestApi } from './helpers/apiServer.ts';
import { HoldingUpgradeJob, testResourceJobs } from './helpers/resourceJobs.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'httpresources');
let api: TestApi;

test.serial.before(async () => {
  api = await makeTestApi(db());
});

test.after.always(async () => {
  await api?.app.close();
});

const post = (payload: unknown, headers = api.asAdmin) => api.app.inject({ method: 'POST', url: '/jobs', headers, payload: payload as Record<string, unknown> });
const jobCount = async () => Number((await db().admin.query('SELECT count(*) AS n FROM job'))[0].n);
const eventConnections = async () => Number((await db().admin.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'jobsystem jobs-api events'`, [db().name]))[0].n);

test.serial('POST /jobs enqueues a create and, at once, an upgrade of the instance it will make', async (t) => {
  const create = await post({ name: 'CreateInstanceJob', resourceName: 'web-1', args: { version: 'v1.0' } });
  t.is(create.statusCode, 201, create.body);
  t.like(create.json(), { predictedExists: false, job: { jobType: 'CreateInstanceJob', status: 'WAITING', resourceType: 'instance', resourceName: 'web-1', requester: 'api:ops' } });
  const upgrade = await post({ name: 'UpgradeInstanceJob', resourceName: 'web-1', args: { version: 'v2.0' }, priority: 3 });
  t.is(upgrade.statusCode, 201, upgrade.body);
  t.like(upgrade.json(), { predictedExists: true, decidedBy: create.json().job.id, job: { status: 'WAITING', priority: 3 } });
  const [row] = await db().admin.query('SELECT json_data, resource_options FROM job WHERE id = $1', [upgrade.json().job.id]);
  t.deepEqual(row, { json_data: { version: 'v2.0' }, resource_options: 'UPDATE' });
  t.true(api.logger.lines.includes(`INFO api:ops enqueued job ${upgrade.json().job.id} (UpgradeInstanceJob) on instance 'web-1' in queue default.`));
});

test.serial('a job on an instance predicted missing is 404 with ResourceNotFound, and the refused job is recorded', async (t) => {
  const refused = await post({ name: 'UpgradeInstanceJob', resourceName: 'nope', args: { version: 'v2.0' } });
  t.is(refused.statusCode, 404);
  const body = refused.json();
  t.is(body.error, 'Not Found');
  t.is(body.message, "Instance 'nope' does not exist.");
  t.is(typeof body.jobId, 'number');
  t.like(body.job, { id: body.jobId, status: 'FAILED', lastError: "ResourceNotFound: Instance 'nope' does not exist." });
  const [row] = await db().admin.query('SELECT status, last_error, attempt_count FROM job WHERE id = $1', [body.jobId]);
  t.deepEqual(row, { status: 'FAILED', last_error: "ResourceNotFound: Instance 'nope' does not exist.", attempt_count: 0 });
  const shown = await api.app.inject({ url: `/jobs/${body.jobId}`, headers: api.asReader });
  t.is(shown.json().job.lastError, "ResourceNotFound: Instance 'nope' does not exist.");
  t.is((await post({ name: 'DeleteInstanceJob', resourceName: 'nope' })).statusCode, 404);
});

test.serial('a create of an instance that exists is 409 with the refused job id', async (t) => {
  await db().admin.query(`INSERT INTO instance (name, version) VALUES ('here-1', 'v1')`);
  const refused = await post({ name: 'CreateInstanceJob', resourceName: 'here-1', args: { version: 'v1.0' } });
  t.is(refused.statusCode, 409);
  t.like(refused.json(), { error: 'Conflict', message: "Instance 'here-1' already exists.", job: { status: 'FAILED' } });
  t.is(refused.json().job.id, refused.json().jobId);
});

test.serial('the body is checked against the job class\'s schema, and nothing is recorded for a bad one', async (t) => {
  const before = await jobCount();
  for (const payload of [
    { name: 'UpgradeInstanceJob', resourceName: 'web-1', args: { version: 'bogus' } },
    { name: 'UpgradeInstanceJob', resourceName: 'web-1' },
    { name: 'UpgradeInstanceJob', args: { version: 'v2' } },
    { name: 'UpgradeInstanceJob', resourceName: '', args: { version: 'v2' } },
    { name: 'DeleteInstanceJob', resourceName: 'web-1', args: { force: true } },
    { name: 'CreateInstanceJob', resourceName: 'web-9', args: { version: 'v1' }, workspace: {} },
  ]) {
    const response = await post(payload);
    t.is(response.statusCode, 400, JSON.stringify(payload));
    t.is(response.json().error, 'Bad Request');
  }
  t.is((await post({ name: 'UpgradeInstanceJob', resourceName: 'web-1', args: { version: 'v3' } }, api.asReader)).statusCode, 403);
  t.is(await jobCount(), before);
});

test.serial('a job class whose resource type is not registered is 400, and nothing is recorded', async (t) => {
  const ghostType: ResourceType<{ name: string }> = { name: 'ghost', title: 'Ghost', exists: async () => true, read: async () => undefined, list: async () => [] };
  class HauntJob extends ResourceJob {
    static override resourceType = ghostType;
    static override resourceOptions = [ResourceOption.UPDATE];
    async perform(): Promise<null> {
      return null;
    }
  }
  const ghostApi = await makeTestApi(db(), { resourceJobs: new Map([['HauntJob', { name: 'HauntJob', jobClass: HauntJob, section: 'ghost_jobs' }]]) });
  try {
    const before = await jobCount();
    const response = await ghostApi.app.inject({ method: 'POST', url: '/jobs', headers: ghostApi.asAdmin, payload: { name: 'HauntJob', resourceName: 'boo' } });
    t.is(response.statusCode, 400);
    t.regex(response.json().message, /^No resource type 'ghost' is registered \(registered: .*instance.*\)\.$/);
    t.is(await jobCount(), before);
  } finally {
    await ghostApi.app.close();
  }
});

test.serial('/openapi.json has a body schema per resource job class and the resource and event routes', async (t) => {
  const spec = (await api.app.inject({ url: '/openapi.json' })).json();
  const body = spec.paths['/jobs'].post.requestBody.content['application/json'].schema;
  const upgrade = body.oneOf.find((schema: { title?: string }) => schema.title === 'UpgradeInstanceJob');
  t.deepEqual(upgrade.required, ['name', 'resourceName']);
  t.is(upgrade.properties.args.properties.version.type, 'string');
  t.truthy(spec.paths['/jobs/{id}/events'].get.responses['200'].content['text/event-stream']);
  t.truthy(spec.paths['/resources/{type}'].get);
  t.truthy(spec.paths['/resources/{type}/{name}'].get.parameters.find((parameter: { name: string }) => parameter.name === 'mode'));
});

test.serial('GET /resources/:type lists a type\'s resources sorted by name; an unknown type is 404', async (t) => {
  await db().admin.query(`INSERT INTO instance (name, version) VALUES ('ls-b', 'v1'), ('Ls-c', 'v1'), ('ls-a', 'v2')`);
  const listed = await api.app.inject({ url: '/resources/instance', headers: api.asReader });
  t.is(listed.statusCode, 200);
  t.is(listed.json().type, 'instance');
  const names = listed.json().resources.map((one: { name: string }) => one.name).filter((name: string) => /^ls-/i.test(name));
  t.deepEqual(names, ['Ls-c', 'ls-a', 'ls-b']);
  t.deepEqual(listed.json().resources.find((one: { name: string }) => one.name === 'ls-a'), { name: 'ls-a', version: 'v2' });
  const unknown = await api.app.inject({ url: '/resources/planet', headers: api.asReader });
  t.is(unknown.statusCode, 404);
  t.regex(unknown.json().message, /^no resource type 'planet'/);
  t.is((await api.app.inject({ url: '/resources/instance' })).statusCode, 401);
});

test.serial('GET /resources/:type/:name reads one; a missing one is 404', async (t) => {
  const read = await api.app.inject({ url: '/resources/instance/ls-a', headers: api.asReader });
  t.is(read.statusCode, 200);
  t.deepEqual(read.json(), { type: 'instance', name: 'ls-a', mode: 'snapshot', state: { name: 'ls-a', version: 'v2' } });
  const missing = await api.app.inject({ url: '/resources/instance/ls-zzz', headers: api.asReader });
  t.is(missing.statusCode, 404);
  t.deepEqual(missing.json(), { error: 'Not Found', message: "Instance 'ls-zzz' does not exist." });
  t.is((await api.app.inject({ url: '/resources/instance/ls-zzz?mode=wait&timeout=1000', headers: api.asReader })).statusCode, 404);
  t.is((await api.app.inject({ url: '/resources/instance/ls-a?mode=later', headers: api.asReader })).statusCode, 400);
  t.is(await eventConnections(), 0);
});

test.serial('during a job, a snapshot read answers the state before it at once; a wait read answers the state after it, or 409 when it is still busy', async (t) => {
  await db().admin.query(`INSERT INTO instance (name, version) VALUES ('hold-1', 'v1')`);
  const releaseFile = join(db().dir, 'release-hold-1');
  const { job } = await HoldingUpgradeJob.enqueue(db().admin.manager, 'hold-1', { version: 'v2', releaseFile });
  const runner = new JobRunner({ dataSource: db().admin, logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: db().errorDir, reporter: 'TEST-http' }), quickJobMs: 0 });
  const running = runner.runAllFromSource(testResourceJobs);
  try {
    await waitFor('the job to hold its write', async () => {
      try {
        await db().admin.transaction(async (inner) => inner.query(`SELECT 1 FROM instance WHERE name = 'hold-1' FOR UPDATE NOWAIT`));
        return false;
      } catch (error) {
        return /could not obtain lock/.test(String(error));
      }
    });
    const snapshot = await api.app.inject({ url: '/resources/instance/hold-1', headers: api.asReader });
    t.deepEqual(snapshot.json().state, { name: 'hold-1', version: 'v1' });
    const busy = await api.app.inject({ url: '/resources/instance/hold-1?mode=wait&timeout=100', headers: api.asReader });
    t.is(busy.statusCode, 409);
    t.is(busy.json().message, `Instance 'hold-1' is still busy with job ${job.id} after 100 ms.`);
    const after = api.app.inject({ url: '/resources/instance/hold-1?mode=wait&timeout=60000', headers: api.asReader });
    await waitFor('the waiting read to listen', async () => (await eventConnections()) === 1);
    writeFileSync(releaseFile, '');
    const answered = await after;
    t.is(answered.statusCode, 200);
    t.deepEqual(answered.json().state, { name: 'hold-1', version: 'v2' });
  } finally {
    writeFileSync(releaseFile, '');
    await running;
  }
  await waitFor('the shared LISTEN connection to close', async () => (await eventConnections()) === 0);
  t.pass();
});
