// GET /jobs/:id/events over real HTTP on 127.0.0.1: a client reads a job's Server-Sent Events
// while a run_jobs process runs it; every stream shares one LISTEN connection, which closes
// when the last client goes; a late subscriber gets the state and the end at once.
import http from 'node:http';
import test from 'ava';
import { createInstance, upgradeInstance } from '../lib/component/instances/instanceJobs.ts';
import { makeTestApi, type TestApi } from './helpers/apiServer.ts';
import { makeJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'httpjobevents');
let api: TestApi;
let base: string;

test.serial.before(async () => {
  api = await makeTestApi(db());
  base = await api.app.listen({ host: '127.0.0.1', port: 0 });
});

test.after.always(async () => {
  await api?.app.close();
});

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

interface Stream {
  status: number;
  contentType: string | undefined;
  events: SseEvent[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Go away as a client would (close the connection). */
  close(): void;
}

/** GET a job's events with Node's own HTTP client, parsing the stream as it arrives. */
function openStream(id: number, authorization = api.asReader.authorization): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}/jobs/${id}/events`, { headers: { authorization, accept: 'text/event-stream' } }, (response) => {
      const events: SseEvent[] = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((line) => !line.startsWith(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
          if (fields.event) events.push({ event: fields.event, data: JSON.parse(fields.data ?? '{}') });
        }
      });
      const ended = new Promise<void>((done) => response.on('end', () => done()));
      resolve({ status: response.statusCode!, contentType: response.headers['content-type'], events, ended, close: () => request.destroy() });
    });
    request.on('error', (error) => {
      if (!/socket hang up|aborted/.test(error.message)) reject(error);
    });
  });
}

const names = (stream: Stream) => stream.events.map((event) => event.event);
const eventConnections = async () => Number((await db().admin.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'jobsystem jobs-api events'`, [db().name]))[0].n);
const listening = async () => Number((await db().admin.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'jobsystem jobs-api events' AND query ILIKE 'LISTEN%'`, [db().name]))[0].n);

test.serial('a client reads state, ready, start and success of a job as a run_jobs process runs it; two clients share one LISTEN connection', async (t) => {
  const create = await createInstance(db().admin.manager, 'sse-1', 'v1');
  const upgrade = await upgradeInstance(db().admin.manager, 'sse-1', 'v2');
  const upgradeStream = await openStream(upgrade.job.id);
  const createStream = await openStream(create.job.id, api.asAdmin.authorization);
  t.is(upgradeStream.status, 200);
  t.is(upgradeStream.contentType, 'text/event-stream; charset=utf-8');
  await waitFor('both states', async () => upgradeStream.events.length > 0 && createStream.events.length > 0);
  t.like(upgradeStream.events[0], { event: 'state', data: { id: upgrade.job.id, status: 'WAITING', finished: false } });
  t.is(await eventConnections(), 1);
  t.is(await listening(), 1);

  const run = await runScript('cronscripts/run_jobs.ts', ['instance_jobs'], { env: { JOBS_CONFIG: db().configFile } });
  t.is(run.code, 0, run.stderr);
  await Promise.all([upgradeStream.ended, createStream.ended]);
  // The create was ready when it was enqueued, before anyone listened; the upgrade's ready
  // came when the create completed.
  t.deepEqual(names(createStream), ['state', 'start', 'success']);
  t.deepEqual(names(upgradeStream), ['state', 'ready', 'start', 'success']);
  t.like(upgradeStream.events[3]!.data, { event: 'success', id: upgrade.job.id, status: 'COMPLETED', result: { name: 'sse-1', version: 'v2', previousVersion: 'v1' }, error: null });
  t.like(upgradeStream.events[2]!.data, { jobId: upgrade.job.id, event: 'start' });
  await waitFor('the shared LISTEN connection to close', async () => (await eventConnections()) === 0);
});

test.serial('a late subscriber gets the state and the end at once: success of a finished job, error of a refused one', async (t) => {
  const done = (await db().admin.query(`SELECT id FROM job WHERE job_type = 'UpgradeInstanceJob' AND status = 'COMPLETED' LIMIT 1`))[0];
  const finished = await openStream(Number(done.id));
  await finished.ended;
  t.deepEqual(names(finished), ['state', 'success']);
  t.like(finished.events[1]!.data, { status: 'COMPLETED', result: { version: 'v2' } });

  const refused = await upgradeInstance(db().admin.manager, 'sse-none', 'v2');
  const stream = await openStream(refused.job.id);
  await stream.ended;
  t.deepEqual(names(stream), ['state', 'error']);
  t.like(stream.events[1]!.data, { event: 'error', status: 'FAILED', refused: true, error: "ResourceNotFound: Instance 'sse-none' does not exist." });
  await waitFor('the shared LISTEN connection to close', async () => (await eventConnections()) === 0);
});

test.serial('an unknown job is 404 and no token 401, before any stream', async (t) => {
  const unknown = await fetch(`${base}/jobs/987654321/events`, { headers: api.asReader });
  t.is(unknown.status, 404);
  t.deepEqual(await unknown.json(), { error: 'Not Found', message: "Job '987654321' does not exist." });
  const anonymous = await fetch(`${base}/jobs/1/events`);
  t.is(anonymous.status, 401);
  t.is(await eventConnections(), 0);
});

test.serial('a client that goes away leaves no subscription or connection behind', async (t) => {
  const pending = await createInstance(db().admin.manager, 'sse-gone', 'v1');
  const first = await openStream(pending.job.id);
  const second = await openStream(pending.job.id);
  await waitFor('both states', async () => first.events.length > 0 && second.events.length > 0);
  t.is(await eventConnections(), 1);
  t.is(api.app.jobEvents!.holderCount, 2);
  first.close();
  // The other client still listens on the one connection.
  await waitFor('the server to see the first client go', async () => api.app.jobEvents!.holderCount === 1);
  t.is(await eventConnections(), 1);
  second.close();
  await waitFor('the server to see the second client go', async () => api.app.jobEvents!.holderCount === 0);
  await waitFor('the shared LISTEN connection to close', async () => (await eventConnections()) === 0);
  // A new client after that gets a new connection, and its stream works.
  const third = await openStream(pending.job.id);
  await waitFor('its state', async () => third.events.length > 0);
  t.is(await eventConnections(), 1);
  await db().admin.query(`UPDATE job SET status = 'FAILED', last_error = 'gave up', date_finished = now() WHERE id = $1`, [pending.job.id]);
  await third.ended;
  t.deepEqual(names(third), ['state', 'error']);
  await waitFor('the shared LISTEN connection to close', async () => (await eventConnections()) === 0);
});

test.serial('a job with no resource sends no events; its stream ends when a read of its row finds it finished', async (t) => {
  const plain = await makeJob(db().admin.manager, { status: 'WAITING' });
  const polling = await makeTestApi(db(), { eventPollMs: 100 });
  const address = await polling.app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const saved = base;
    base = address;
    const stream = await openStream(plain.id, polling.asReader.authorization).finally(() => (base = saved));
    await waitFor('its state', async () => stream.events.length > 0);
    await db().admin.query(`UPDATE job SET status = 'COMPLETED', date_finished = now() WHERE id = $1`, [plain.id]);
    await stream.ended;
    t.deepEqual(names(stream), ['state', 'success']);
    t.like(stream.events[1]!.data, { id: plain.id, status: 'COMPLETED' });
  } finally {
    await polling.app.close();
  }
});

test.serial('closing the server ends the streams still open', async (t) => {
  const other = await makeTestApi(db(), { eventPollMs: 60_000 });
  const address = await other.app.listen({ host: '127.0.0.1', port: 0 });
  const pending = await createInstance(db().admin.manager, 'sse-stop', 'v1');
  const events: string[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    http.get(`${address}/jobs/${pending.job.id}/events`, { headers: other.asReader }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => events.push(chunk));
      response.on('end', () => resolve());
    }).on('error', reject);
  });
  await waitFor('the state', async () => events.length > 0);
  await other.app.close();
  await ended;
  t.regex(events.join(''), /^event: state\n/);
  await waitFor('the LISTEN connection to close', async () => (await eventConnections()) === 0);
});
