// LISTEN/NOTIFY on real PostgreSQL: what the listener receives, the job insert trigger, and
// how the listener rides out a lost connection.
import test from 'ava';
import { DatabaseUnavailable } from '../lib/services/database/connectionErrors.ts';
import { withDatabaseClient } from '../lib/services/database/databaseClient.ts';
import { insertJobs } from '../lib/services/job/sql/insertJobs.ts';
import { NotifyListener, reconnectDelay } from '../lib/services/notify/listener.ts';
import { notify } from '../lib/services/notify/notify.ts';
import { encodePayload, MAX_PAYLOAD_BYTES, NOTIFY_CHANNEL, parsePayload, type NotifyEvent } from '../lib/services/notify/payload.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { serverUrl } from './helpers/database.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'notify');
const WAIT_MS = 60_000;

/** A started listener on this file's database, closed when the test ends. */
async function startListener(t: import('ava').ExecutionContext, options: { logger?: ListLogger; backoff?: { initialMs: number; maxMs: number } } = {}) {
  const listener = new NotifyListener({ url: db().url, logger: options.logger ?? new ListLogger(), backoff: options.backoff });
  t.teardown(() => listener.close());
  await listener.start();
  const events: NotifyEvent[] = [];
  listener.subscribe((event) => void events.push(event));
  return { listener, events };
}

/** Run SQL on a connection of its own (committed unless it says otherwise). */
function onOtherConnection(use: (client: import('pg').Client) => Promise<unknown>): Promise<unknown> {
  return withDatabaseClient(db().url, use);
}

let markers = 0;

/**
 * Send a marker notification in a transaction of its own and wait for it. Notifications are
 * delivered in commit order, so everything committed before it has arrived by then.
 */
async function sendMarkerAndWait(listener: NotifyListener): Promise<void> {
  const marker = `Marker${++markers}`;
  const received = listener.waitFor((event) => event.kind === 'job_inserted' && event.jobTypes?.[0] === marker, WAIT_MS);
  await onOtherConnection((client) => notify(client, { kind: 'job_inserted', jobTypes: [marker] }));
  await received;
}

function jobInserted(events: NotifyEvent[]): NotifyEvent[] {
  return events.filter((event) => event.kind === 'job_inserted' && !event.jobTypes?.[0]?.startsWith('Marker'));
}

/** Wait until `condition` holds (checked every 20 ms), or fail after `timeoutMs`. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test.serial('the listener receives a notification committed by another connection', async (t) => {
  const { listener } = await startListener(t);
  const received = listener.waitFor((event) => event.kind === 'job_inserted', WAIT_MS);
  await onOtherConnection(async (client) => {
    await client.query('BEGIN');
    await notify(client, { kind: 'job_inserted', jobTypes: ['CommittedJob'] });
    await client.query('COMMIT');
  });
  t.deepEqual(await received, { kind: 'job_inserted', jobTypes: ['CommittedJob'] });
});

test.serial('a notification in a transaction that rolls back is never delivered', async (t) => {
  const { listener, events } = await startListener(t);
  await onOtherConnection(async (client) => {
    await client.query('BEGIN');
    await notify(client, { kind: 'job_inserted', jobTypes: ['RolledBackJob'] });
    await client.query('ROLLBACK');
  });
  await sendMarkerAndWait(listener);
  t.deepEqual(jobInserted(events), []);
});

test.serial('notify() through an EntityManager is delivered when its transaction commits', async (t) => {
  const { listener } = await startListener(t);
  const received = listener.waitFor((event) => event.kind === 'job_inserted', WAIT_MS);
  await db().admin.transaction((manager) => notify(manager, { kind: 'job_inserted', jobTypes: ['ManagerJob'] }));
  t.deepEqual(await received, { kind: 'job_inserted', jobTypes: ['ManagerJob'] });
});

test.serial('an INSERT into job sends its distinct job types once', async (t) => {
  const { listener, events } = await startListener(t);
  await onOtherConnection((client) => client.query(`INSERT INTO job (job_type) VALUES ('TypeB'), ('TypeA'), ('TypeB')`));
  await sendMarkerAndWait(listener);
  t.deepEqual(jobInserted(events), [{ kind: 'job_inserted', jobTypes: ['TypeA', 'TypeB'] }]);
});

test.serial('a 20,000-row insert statement sends one notification', async (t) => {
  const { listener, events } = await startListener(t);
  const payloads = Array.from({ length: 20_000 }, (_, i) => ({ i }));
  const ids = await db().admin.transaction((manager) => insertJobs(manager, 'BulkJob', payloads));
  t.is(ids.length, 20_000);
  await sendMarkerAndWait(listener);
  t.deepEqual(jobInserted(events), [{ kind: 'job_inserted', jobTypes: ['BulkJob'] }]);
});

test.serial('an INSERT of no rows sends no notification', async (t) => {
  const { listener, events } = await startListener(t);
  await onOtherConnection((client) => client.query(`INSERT INTO job (job_type) SELECT 'NoJob' WHERE false`));
  await sendMarkerAndWait(listener);
  t.deepEqual(jobInserted(events), []);
});

test.serial('job types too many for one payload are left out of the notification', async (t) => {
  const { listener, events } = await startListener(t);
  // 400 types of 30 characters: about 13 kB as JSON, past the 8000-byte limit.
  await onOtherConnection((client) => client.query(`INSERT INTO job (job_type) SELECT 'ManyTypesJob' || lpad(g::text, 18, '0') FROM generate_series(1, 400) g`));
  await sendMarkerAndWait(listener);
  t.deepEqual(jobInserted(events), [{ kind: 'job_inserted' }]);
});

test.serial('a notification that is not a valid payload is logged and not passed on', async (t) => {
  const logger = new ListLogger();
  const { listener, events } = await startListener(t, { logger });
  await onOtherConnection((client) => client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, 'not json']));
  await onOtherConnection((client) => client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, '{"kind": "job_exploded"}']));
  await sendMarkerAndWait(listener);
  t.deepEqual(jobInserted(events), []);
  t.deepEqual(logger.lines, [
    'WARNING notify: ignored a notification on jobsystem (not JSON): not json',
    'WARNING notify: ignored a notification on jobsystem (unknown kind "job_exploded"): {"kind": "job_exploded"}',
  ]);
});

test.serial('a subscriber that throws is logged and the others still receive the event', async (t) => {
  const logger = new ListLogger();
  const { listener, events } = await startListener(t, { logger });
  listener.subscribe(() => {
    throw new Error('subscriber broke');
  });
  await sendMarkerAndWait(listener);
  t.is(events.length, 1);
  t.deepEqual(logger.lines, ['ERROR notify: a subscriber failed on job_inserted: subscriber broke']);
});

test.serial('after its connection is killed the listener reconnects, emits reconnected and receives new notifications', async (t) => {
  const logger = new ListLogger();
  const { listener, events } = await startListener(t, { logger, backoff: { initialMs: 20, maxMs: 200 } });
  const firstPid = listener.backendPid;
  t.truthy(firstPid);
  const reconnected = listener.waitFor((event) => event.kind === 'reconnected', WAIT_MS);
  reconnected.catch(() => undefined); // awaited below; a failure before that must not go unhandled
  await onOtherConnection((client) => client.query('SELECT pg_terminate_backend($1)', [firstPid]));
  const event = await reconnected;
  t.true(event.kind === 'reconnected' && event.downMs >= 0);
  t.true(listener.listening);
  t.not(listener.backendPid, firstPid);
  await onOtherConnection((client) => client.query(`INSERT INTO job (job_type) VALUES ('AfterReconnectJob')`));
  await until(() => jobInserted(events).length > 0);
  t.deepEqual(jobInserted(events), [{ kind: 'job_inserted', jobTypes: ['AfterReconnectJob'] }]);
  const notDebug = logger.lines.filter((line) => !line.startsWith('DEBUG'));
  t.is(notDebug.length, 2, notDebug.join('\n'));
  t.regex(notDebug[0]!, /^WARNING notify: lost the connection to the database \(.+\); reconnecting$/);
  t.regex(notDebug[1]!, /^INFO notify: reconnected to the database after \d+\.\ds \(\d+ attempts?\)$/);
});

test.serial('while the database refuses connections the listener keeps trying and logs one line for the outage', async (t) => {
  const logger = new ListLogger();
  const { listener } = await startListener(t, { logger, backoff: { initialMs: 10, maxMs: 50 } });
  // From the server's maintenance database: a database cannot refuse its own connections.
  const server = await serverUrl();
  const setAllowConnections = (allowed: boolean) => withDatabaseClient(server, (client) => client.query(`ALTER DATABASE ${db().name} ALLOW_CONNECTIONS ${allowed}`));
  const allow = () => setAllowConnections(true);
  t.teardown(allow);
  await setAllowConnections(false);
  const reconnected = listener.waitFor((event) => event.kind === 'reconnected', WAIT_MS);
  reconnected.catch(() => undefined); // awaited below; a failure before that must not go unhandled
  await withDatabaseClient(server, (client) => client.query('SELECT pg_terminate_backend($1)', [listener.backendPid]));
  const failedAttempts = () => logger.lines.filter((line) => line.startsWith('DEBUG notify: reconnect attempt')).length;
  await until(() => failedAttempts() >= 3);
  t.false(listener.listening);
  await allow();
  await reconnected;
  t.true(listener.listening);
  const notDebug = logger.lines.filter((line) => !line.startsWith('DEBUG'));
  t.is(notDebug.length, 2, notDebug.join('\n'));
  t.regex(notDebug[0]!, /^WARNING notify: lost the connection/);
  t.regex(notDebug[1]!, /^INFO notify: reconnected to the database after .* \((\d+) attempts\)$/);
  t.regex(logger.lines.find((line) => line.startsWith('DEBUG'))!, /^DEBUG notify: reconnect attempt 1 failed: .*not currently accepting connections/);
});

test.serial('close() ends the connection and rejects callers still waiting', async (t) => {
  const { listener } = await startListener(t);
  const pid = listener.backendPid;
  const waiting = listener.waitFor(() => true, WAIT_MS);
  await listener.close();
  await t.throwsAsync(waiting, { message: 'the notify listener was closed' });
  t.false(listener.listening);
  // The server process ends just after the client has said goodbye.
  const backendGone = async () => ((await onOtherConnection((client) => client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]))) as { rowCount: number }).rowCount === 0;
  await until(backendGone);
  t.pass();
});

test('start() on a database that cannot be reached is DatabaseUnavailable', async (t) => {
  const listener = new NotifyListener({ url: 'postgres://nobody@127.0.0.1:1/nothing' });
  await t.throwsAsync(listener.start(), { instanceOf: DatabaseUnavailable, message: /cannot listen for notifications at postgres:\/\/nobody@127\.0\.0\.1:1\/nothing: / });
  t.false(listener.listening);
});

test('reconnect delays double from the first delay up to the cap, with up to half taken off', (t) => {
  const backoff = { initialMs: 250, maxMs: 30_000 };
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 100].map((attempt) => reconnectDelay(attempt, backoff, () => 1)), [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  t.deepEqual([1, 8, 100].map((attempt) => reconnectDelay(attempt, backoff, () => 0)), [125, 15000, 15000]);
});

test('parsePayload accepts job_inserted with or without types and refuses anything else', (t) => {
  t.deepEqual(parsePayload('{"kind":"job_inserted","jobTypes":["A"]}'), { kind: 'job_inserted', jobTypes: ['A'] });
  t.deepEqual(parsePayload('{"kind":"job_inserted"}'), { kind: 'job_inserted' });
  t.deepEqual(parsePayload('{"kind":"job_inserted","jobTypes":[1]}'), { invalid: 'job_inserted with jobTypes that is not a list of strings' });
  t.deepEqual(parsePayload('[]'), { invalid: 'not a JSON object' });
  t.deepEqual(parsePayload('{"kind":"later"}'), { invalid: 'unknown kind "later"' });
});

test('encodePayload drops a job type list that does not fit in a notification', (t) => {
  const jobTypes = Array.from({ length: 1000 }, (_, i) => `SomeJobType${i}`);
  t.true(JSON.stringify({ kind: 'job_inserted', jobTypes }).length > MAX_PAYLOAD_BYTES);
  t.is(encodePayload({ kind: 'job_inserted', jobTypes }), '{"kind":"job_inserted"}');
  t.is(encodePayload({ kind: 'job_inserted', jobTypes: ['A'] }), '{"kind":"job_inserted","jobTypes":["A"]}');
});
