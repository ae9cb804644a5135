// Behind a real PgBouncer (Debian's package), in session and in transaction pool mode: jobs
// run as the section's role, every job runs exactly once with four runners through the
// pooler, and the long-running worker listens past a transaction-mode pooler or polls.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { reloadJob } from './helpers/factory.ts';
import { pgbouncerMissing, startPgbouncer, type Pgbouncer } from './helpers/pgbouncer.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { scriptedConfig, waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';
import { startWorker, type WorkerProcess } from './helpers/workerProcess.ts';

const missing = pgbouncerMissing();
/** Each test, or, without the binary, the same test skipped with the reason in its title. */
const pooledTest = (title: string, body: (t: ExecutionContext) => Promise<void>) =>
  missing ? test.serial.skip(`${title} (skipped: ${missing})`, body) : test.serial(title, body);
const db = useTestDatabase(test, 'pgbouncer');
// Roles are cluster-wide (and tests also run against a shared server): names of this run's own.
const SUFFIX = randomBytes(4).toString('hex');
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
/** The section's role, a LOGIN role (dblogin: ROLE logs in as it). */
const ROLE = `jobs_pooled_${SUFFIX}`;
/** A NOINHERIT login that is a member of ROLE alone (it must SET ROLE to do anything). */
const MEMBER = `${ROLE}_login`;
const JOB_COUNT = 400;
const RECORD_RUN = 'INSERT INTO pooled_run (job, who, backend) VALUES ($1, current_user, pg_backend_pid())';

let bouncer: Pgbouncer | undefined;
let worker: WorkerProcess | undefined;

test.serial.before(async () => {
  if (missing) return;
  const admin = db().admin;
  await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`);
  await admin.query(`CREATE ROLE ${MEMBER} LOGIN NOINHERIT PASSWORD '${PASSWORD}'`);
  await admin.query(`GRANT ${ROLE} TO ${MEMBER}`);
  await admin.query(`GRANT SELECT, UPDATE ON job TO ${ROLE}`);
  // One row per committed run: who ran it, on which server connection.
  await admin.query('CREATE TABLE pooled_run (job bigint NOT NULL, who text NOT NULL, backend integer NOT NULL)');
  await admin.query(`GRANT INSERT ON pooled_run TO ${ROLE}`);
});

test.serial.afterEach.always(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  worker = undefined;
  await bouncer?.stop();
  bouncer = undefined;
  if (missing) return;
  await db().admin.query('DELETE FROM job');
  await db().admin.query('DELETE FROM pooled_run');
});

test.after.always(async () => {
  if (missing) return;
  await db().drop();
  const { serverUrl } = await import('./helpers/database.ts');
  const { withDatabaseClient } = await import('../lib/services/database/databaseClient.ts');
  await withDatabaseClient(await serverUrl(), async (client) => {
    for (const role of [MEMBER, ROLE]) await client.query(`DROP ROLE IF EXISTS ${role}`);
  });
});

/** A production-like config: [database] url is PgBouncer's (no user), the section logs in as
 * `login` with its password from the environment and acts as ROLE. */
function pooledConfig(name: string, pooler: 'session' | 'transaction', login: string, databaseKeys: string[] = []): string {
  const keys = { dbuser: ROLE, dblogin: login, dbpassword_env: 'JOBS_POOLED_PASSWORD', batch_size: 10, concurrency: 2 };
  return scriptedConfig(db(), name, keys, '', { database: [`url: ${bouncer!.url}`, `pooler: ${pooler}`, ...databaseKeys] });
}

async function fourRunnersRunEveryJobOnceAsTheRole(t: ExecutionContext, config: string): Promise<number> {
  const ids = await ScriptedJob.createMany(db().admin.manager, Array.from({ length: JOB_COUNT }, () => ({ action: 'sql', sql: [RECORD_RUN] })));
  // Separate lock folders: as if each process were on its own host.
  const results = await Promise.all(
    [1, 2, 3, 4].map((n) =>
      runScript('cronscripts/run_jobs.ts', ['scripted', '--lock-dir', join(db().dir, `host${n}`)], { env: { JOBS_CONFIG: config, JOBS_POOLED_PASSWORD: PASSWORD }, timeoutMs: 600_000 }),
    ),
  );
  for (const result of results) t.is(result.code, 0, result.stderr);
  const [runs] = await db().admin.query(
    'SELECT count(*)::integer AS runs, count(DISTINCT job)::integer AS jobs, array_agg(DISTINCT who) AS who, count(DISTINCT backend)::integer AS backends FROM pooled_run',
  );
  t.is(runs.runs, JOB_COUNT, 'one committed run per job');
  t.is(runs.jobs, JOB_COUNT, 'every job ran');
  t.deepEqual(runs.who, [ROLE], "every job ran as the section's role");
  const [states] = await db().admin.query(`SELECT count(*) FILTER (WHERE status = 'COMPLETED' AND attempt_count = 1)::integer AS done FROM job WHERE id = ANY($1)`, [ids]);
  t.is(states.done, JOB_COUNT);
  const ran = results.map((result) => Number(/Ran (\d+) ScriptedJob jobs/.exec(result.stderr)?.[1] ?? 0));
  t.is(ran.reduce((a, b) => a + b, 0), JOB_COUNT);
  t.log(`jobs per process: ${ran.join(', ')}; server connections that ran jobs: ${runs.backends}`);
  return runs.backends as number;
}

pooledTest('session mode: 4 runners through PgBouncer run every job exactly once, as the section\'s role taken by a member login with SET ROLE', async (t) => {
  bouncer = await startPgbouncer({ databaseUrl: db().url, poolMode: 'session', users: { [MEMBER]: PASSWORD }, poolSize: 40, dir: join(db().dir, 'pgbouncer-session') });
  await fourRunnersRunEveryJobOnceAsTheRole(t, pooledConfig('session', 'session', MEMBER));
});

pooledTest('transaction mode: 4 runners sharing 3 server connections through PgBouncer run every job exactly once, as the section\'s role', async (t) => {
  // 4 runners hold up to 16 client connections; PgBouncer runs their transactions on 3 server
  // connections, so a named prepared statement or a session SET would meet another client's.
  bouncer = await startPgbouncer({ databaseUrl: db().url, poolMode: 'transaction', users: { [ROLE]: PASSWORD }, poolSize: 3, dir: join(db().dir, 'pgbouncer-transaction') });
  const backends = await fourRunnersRunEveryJobOnceAsTheRole(t, pooledConfig('transaction', 'transaction', ROLE));
  t.true(backends <= 3, `the jobs ran on ${backends} server connections, PgBouncer's pool has 3`);
});

pooledTest('transaction mode: a section whose login would SET ROLE is refused in one line, before anything runs', async (t) => {
  bouncer = await startPgbouncer({ databaseUrl: db().url, poolMode: 'transaction', users: { [MEMBER]: PASSWORD }, poolSize: 3, dir: join(db().dir, 'pgbouncer-refused') });
  const job = await ScriptedJob.create(db().admin.manager, { action: 'sql', sql: [RECORD_RUN] });
  const result = await runScript('cronscripts/run_jobs.ts', ['scripted'], { env: { JOBS_CONFIG: pooledConfig('refused', 'transaction', MEMBER), JOBS_POOLED_PASSWORD: PASSWORD } });
  t.not(result.code, 0);
  t.regex(result.stderr, new RegExp(`which a transaction-mode pooler \\(\\[database\\] pooler: transaction\\) cannot carry.*dblogin: ${ROLE}`));
  t.is((await reloadJob(db().admin.manager, job.job.id)).status, 'WAITING');
});

pooledTest('transaction mode: the worker LISTENs on listen_url, straight to the server, and runs a new job through PgBouncer when notified', async (t) => {
  bouncer = await startPgbouncer({ databaseUrl: db().url, poolMode: 'transaction', users: { [ROLE]: PASSWORD }, poolSize: 3, dir: join(db().dir, 'pgbouncer-listen') });
  const config = pooledConfig('listen', 'transaction', ROLE, [`listen_url: ${db().url}`]);
  worker = startWorker(config, ['--section', 'scripted', '--poll', '10m'], { JOBS_POOLED_PASSWORD: PASSWORD });
  await worker.waitForLine(/Worker ready: woken by notifications/);
  // Its poll is 10 minutes: only a notification can wake it now.
  const job = await ScriptedJob.create(db().admin.manager, { action: 'sql', sql: [RECORD_RUN] });
  await waitFor('the job to complete', async () => (await reloadJob(db().admin.manager, job.job.id)).status === 'COMPLETED');
  const [run] = await db().admin.query('SELECT who FROM pooled_run WHERE job = $1', [job.job.id]);
  t.is(run.who, ROLE);
});

pooledTest('transaction mode without listen_url: the worker says it polls, and a new job runs at the next poll', async (t) => {
  bouncer = await startPgbouncer({ databaseUrl: db().url, poolMode: 'transaction', users: { [ROLE]: PASSWORD }, poolSize: 3, dir: join(db().dir, 'pgbouncer-poll') });
  worker = startWorker(pooledConfig('poll', 'transaction', ROLE), ['--section', 'scripted', '--poll', '1s'], { JOBS_POOLED_PASSWORD: PASSWORD });
  await worker.waitForLine(/Worker ready: polling every 1s/);
  t.regex(worker.output(), /INFO +No LISTEN through a transaction-mode pooler \(\[database\] pooler: transaction\) and no \[database\] listen_url set: polling every 1s\./);
  const job = await ScriptedJob.create(db().admin.manager, { action: 'sql', sql: [RECORD_RUN] });
  await waitFor('the job to complete', async () => (await reloadJob(db().admin.manager, job.job.id)).status === 'COMPLETED');
  t.notRegex(worker.output(), /WARNING|ERROR/);
});
