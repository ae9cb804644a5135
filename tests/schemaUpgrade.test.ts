// A database made by version 0.1's schema.sql (kept verbatim in tests/fixtures/), with jobs in
// every status, is upgraded in place by the real command, as a non-superuser owner of the
// tables, with no job lost or changed; then the ready jobs run. The section role dofoo exists
// already (made by a superuser, like a production role made by an administrator), which the
// owner may not comment on: schema.sql must not need to.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { applySchema } from '../lib/services/database/applySchema.ts';
import { withDatabaseClient } from '../lib/services/database/databaseClient.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { serverUrl } from './helpers/database.ts';
import { runScript } from './helpers/runScript.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const FIXTURE = readFileSync(fromRoot('tests/fixtures/schema-0.1.sql'), 'utf8');
// Roles are cluster-wide: a name of this run's own, removed at the end.
const OWNER = `jobs_owner_${randomBytes(4).toString('hex')}`;
const TABLES = ['job', 'foo', 'foojob'] as const;

const db = useTestDatabase(test, 'schema_upgrade', async () => {
  // The owner of the tables as the README recommends it: a login that may create roles and
  // owns the database, not a superuser.
  await withDatabaseClient(await serverUrl(), (client) => client.query(`CREATE ROLE ${OWNER} LOGIN CREATEROLE`));
  return { empty: true, owner: OWNER };
});

test.after.always(async () => {
  await db().drop();
  await withDatabaseClient(await serverUrl(), (client) => client.query(`DROP ROLE IF EXISTS ${OWNER}`));
});

function ownerUrl(): string {
  const url = new URL(db().url);
  url.username = OWNER;
  url.password = '';
  return url.toString();
}

// One job per status and timing a database can hold, written with 0.1's columns only.
const JOBS: Record<string, { status: string; attempts: number; scheduled?: string; lease?: string; started?: boolean; finished?: boolean; claimedBy?: string }> = {
  waiting: { status: 'WAITING', attempts: 0 },
  waiting_retry_due: { status: 'WAITING', attempts: 1, scheduled: `now() - interval '1 hour'`, started: true },
  waiting_scheduled_later: { status: 'WAITING', attempts: 1, scheduled: `now() + interval '1 day'`, started: true },
  running_live_lease: { status: 'RUNNING', attempts: 1, lease: `now() + interval '1 day'`, started: true, claimedBy: 'runner-1:100' },
  running_expired_lease: { status: 'RUNNING', attempts: 1, lease: `now() - interval '1 hour'`, started: true, claimedBy: 'runner-2:200' },
  completed: { status: 'COMPLETED', attempts: 1, started: true, finished: true },
  failed: { status: 'FAILED', attempts: 1, started: true, finished: true },
  suspended: { status: 'SUSPENDED', attempts: 0 },
};
const READY = ['waiting', 'waiting_retry_due', 'running_expired_lease'];

type Snapshot = Record<string, Array<Record<string, unknown>>>;

/** Every row of the 0.1 tables, with the 0.1 columns only: later versions add columns. */
async function snapshot(columns: Record<string, string[]>): Promise<Snapshot> {
  const result: Snapshot = {};
  for (const table of TABLES) {
    const list = columns[table]!.map((column) => `"${column}"`).join(', ');
    const rows: Array<{ row: Record<string, unknown> }> = await db().admin.query(
      `SELECT to_jsonb(t) AS row FROM (SELECT ${list} FROM ${table}) t ORDER BY 1`,
    );
    result[table] = rows.map((r) => r.row);
  }
  return result;
}

async function columnsOf(): Promise<Record<string, string[]>> {
  const rows: Array<{ table_name: string; column_name: string }> = await db().admin.query(
    `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY ordinal_position`,
    [TABLES],
  );
  return Object.fromEntries(TABLES.map((table) => [table, rows.filter((r) => r.table_name === table).map((r) => r.column_name)]));
}

async function jobsByName(): Promise<Record<string, { status: string; attempt_count: number; some_attribute: string | null }>> {
  const rows: Array<{ name: string; status: string; attempt_count: number; some_attribute: string | null }> = await db().admin.query(
    `SELECT foo.name, job.status, job.attempt_count, foo.some_attribute FROM job JOIN foojob ON foojob.job = job.id JOIN foo ON foo.id = foojob.foo`,
  );
  return Object.fromEntries(rows.map(({ name, ...rest }) => [name, rest]));
}

test.serial('a database made by schema 0.1, with jobs in every status, is upgraded in place by the owner and its jobs run', async (t) => {
  // 0.1 was applied by whatever login the URL had, typically a superuser; the README's step
  // for such a database hands its tables to the owner.
  t.is(await applySchema(db().url, FIXTURE), 'applied');
  const admin = db().admin;
  await admin.query(`ALTER TABLE job OWNER TO ${OWNER}; ALTER TABLE foo OWNER TO ${OWNER}; ALTER TABLE foojob OWNER TO ${OWNER}; ALTER TABLE schema_applied OWNER TO ${OWNER}`);
  for (const [name, job] of Object.entries(JOBS)) {
    await admin.query(
      `WITH foo AS (INSERT INTO foo (name) VALUES ($1) RETURNING id),
            job AS (INSERT INTO job (job_type, status, attempt_count, scheduled_start, lease_expires, date_started, date_finished, claimed_by, requester, json_data, log)
                    VALUES ('DoFooJob', $2, $3, ${job.scheduled ?? 'NULL'}, ${job.lease ?? 'NULL'}, ${job.started ? `now() - interval '2 hours'` : 'NULL'},
                            ${job.finished ? `now() - interval '1 hour'` : 'NULL'}, $4, 'upgrade-test', '{"from": "0.1"}', $1) RETURNING id)
       INSERT INTO foojob (job, foo, job_type, json_data) SELECT job.id, foo.id, 'DO_FOO', '{}' FROM job, foo`,
      [name, job.status, job.attempts, job.claimedBy ?? null],
    );
  }
  const oldColumns = await columnsOf();
  const before = await snapshot(oldColumns);
  t.is(before.job!.length, Object.keys(JOBS).length);

  // A run against the old schema touches nothing and names the command that upgrades it.
  const env = { JOBS_CONFIG: db().configFile };
  const refused = await runScript('cronscripts/run_jobs.ts', ['do_foo'], { env });
  t.is(refused.code, 4, refused.stderr);
  t.regex(refused.stderr, /^ERROR {3}run_jobs: the database at .* has not been upgraded to this version's schema\.sql; upgrade it with npm run db:upgrade .*\n$/);
  const check = await runScript('cronscripts/upgrade-schema.ts', ['--check'], { env });
  t.is(check.code, 4, check.stderr);
  t.deepEqual(await snapshot(oldColumns), before);

  const upgrade = await runScript('cronscripts/upgrade-schema.ts', [], { env: { ...env, DATABASE_URL: ownerUrl() } });
  t.is(upgrade.code, 0, upgrade.stderr);
  t.regex(upgrade.stderr, /^INFO {4}Applied schema\.sql sha256 [0-9a-f]{12} to postgres:\/\/jobs_owner_/);
  t.deepEqual(await snapshot(oldColumns), before, 'every row of 0.1 keeps its values');
  // The multi-step columns give the old jobs their old meaning: one-step jobs at step 0, in the default queue.
  t.deepEqual(
    await db().admin.query(`SELECT DISTINCT step, workspace, queue_name FROM job`),
    [{ step: 0, workspace: null, queue_name: 'default' }],
  );
  const again = await runScript('cronscripts/upgrade-schema.ts', [], { env: { ...env, DATABASE_URL: ownerUrl() } });
  t.is(again.code, 0, again.stderr);
  t.regex(again.stderr, /is current .*; nothing to do\.\n$/);

  const run = await runScript('cronscripts/run_jobs.ts', ['do_foo'], { env });
  t.is(run.code, 0, run.stderr);
  t.regex(run.stderr, /INFO {4}Ran 3 DoFooJob jobs\.\n/);
  const after = await jobsByName();
  for (const name of READY) {
    t.is(after[name]!.status, 'COMPLETED', name);
    t.is(after[name]!.some_attribute, 'frozzled', name);
  }
  const untouched = await snapshot(oldColumns);
  const jobName = (row: Record<string, unknown>) => row.log;
  t.deepEqual(
    untouched.job!.filter((row) => !READY.includes(String(jobName(row)))),
    before.job!.filter((row) => !READY.includes(String(jobName(row)))),
    'jobs that were not ready are as they were',
  );
});
