// With the production settings the README recommends (the database URL names no user; each
// section logs in as its own role), job code can do what its section's role may and nothing
// more: no other role, no DDL, no other section's tables.
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { listOops, readOops } from '../lib/services/oops/store.ts';
import { reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { scriptedConfig } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'least_privilege');
// Roles are cluster-wide (and tests also run against a shared server): names of this run's
// own, removed at the end.
const SUFFIX = randomBytes(4).toString('hex');
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const created: string[] = [];

interface Setup {
  /** dbuser: the section's role, with the grants a section running ScriptedJobs needs. */
  role: string;
  /** dblogin: the role the run logs in as. */
  login: string;
}

/** README, production: the section's role is itself a LOGIN role. */
async function loginRoleSetup(name: string): Promise<Setup> {
  const role = `jobs_${name}_${SUFFIX}`;
  await createRole(role, `LOGIN PASSWORD '${PASSWORD}'`);
  await db().admin.query(`GRANT SELECT, UPDATE ON job TO ${role}`);
  return { role, login: role };
}

/** README, production alternative: a NOINHERIT login that is a member of the role alone. */
async function memberLoginSetup(name: string): Promise<Setup> {
  const role = `jobs_${name}_${SUFFIX}`;
  const login = `${role}_login`;
  await createRole(role, 'NOLOGIN');
  await createRole(login, `LOGIN NOINHERIT PASSWORD '${PASSWORD}'`);
  await db().admin.query(`GRANT SELECT, UPDATE ON job TO ${role}`);
  await db().admin.query(`GRANT ${role} TO ${login}`);
  return { role, login };
}

async function createRole(name: string, options: string): Promise<void> {
  await db().admin.query(`CREATE ROLE ${name} ${options}`);
  created.unshift(name);
}

test.after.always(async () => {
  await db().drop();
  // The database that held the roles' grants is gone: the roles can go too.
  const { serverUrl } = await import('./helpers/database.ts');
  const { withDatabaseClient } = await import('../lib/services/database/databaseClient.ts');
  await withDatabaseClient(await serverUrl(), async (client) => {
    for (const role of created) await client.query(`DROP ROLE IF EXISTS ${role}`);
  });
});

/** A config as in production: [database] url names the server and database, no user. */
function productionConfig(section: string, setup: Setup): string {
  const url = new URL(db().url);
  url.username = '';
  url.password = '';
  const keys = { dbuser: setup.role, dblogin: setup.login, dbpassword_env: 'JOBS_SECTION_PASSWORD' };
  return scriptedConfig(db(), section, keys, '', { section, database: [`url: ${url}`] });
}

async function oopsValueOf(jobId: number): Promise<string | undefined> {
  for (const path of await listOops(db().errorDir)) {
    const report = await readOops(path);
    if (report.req_vars.some(([key, value]) => key === 'job_id' && value === String(jobId))) return report.value;
  }
  return undefined;
}

const ATTEMPTS: Record<string, { sql: string[]; refusal: RegExp }> = {
  'SET ROLE to the superuser': { sql: ['SET ROLE postgres'], refusal: /permission denied to set role "postgres"/ },
  "SET ROLE to another section's role": { sql: ['SET ROLE dofoo'], refusal: /permission denied to set role "dofoo"/ },
  'CREATE TABLE, after RESET ROLE': { sql: ['RESET ROLE', 'CREATE TABLE intruder (id integer)'], refusal: /permission denied for schema public/ },
  'ALTER TABLE job': { sql: ['ALTER TABLE job ADD COLUMN intruder integer'], refusal: /must be owner of table job/ },
  "reading another section's table, after RESET ROLE": { sql: ['RESET ROLE', 'SELECT * FROM foojob'], refusal: /permission denied for table foojob/ },
};

async function jobCodeIsConfined(t: ExecutionContext, section: string, makeSetup: (name: string) => Promise<Setup>): Promise<void> {
  const setup = await makeSetup(section);
  const manager = db().admin.manager;
  const normal = await ScriptedJob.create(manager, { action: 'sql', sql: [`UPDATE job SET log = session_user || ' ' || current_user WHERE id = $1`] });
  const attempts = new Map<string, number>();
  for (const [what, { sql }] of Object.entries(ATTEMPTS)) attempts.set(what, (await ScriptedJob.create(manager, { action: 'sql', sql })).job.id);

  const result = await runScript('cronscripts/run_jobs.ts', [section], {
    env: { JOBS_CONFIG: productionConfig(section, setup), JOBS_SECTION_PASSWORD: PASSWORD },
  });
  t.is(result.code, 0, result.stderr);

  const done = await reloadJob(manager, normal.job.id);
  t.is(done.status, 'COMPLETED', 'a normal job still runs');
  t.is(done.log, `${setup.login} ${setup.role}`, 'logged in as the section login, acting as the section role');
  for (const [what, { refusal }] of Object.entries(ATTEMPTS)) {
    const id = attempts.get(what)!;
    t.is((await reloadJob(manager, id)).status, 'FAILED', what);
    t.regex((await oopsValueOf(id)) ?? '(no OOPS)', refusal, what);
  }
  const [{ count }] = await db().admin.query(
    `SELECT count(*)::int AS count FROM information_schema.columns WHERE table_name IN ('intruder', 'job') AND column_name = 'intruder' OR table_name = 'intruder'`,
  );
  t.is(count, 0, 'no DDL took effect');
}

test.serial('a section that logs in as its own LOGIN role: job code cannot take another role, do DDL or read another section\'s tables', async (t) => {
  await jobCodeIsConfined(t, 'own_login', loginRoleSetup);
});

test.serial('a section that logs in as a NOINHERIT member of its role alone: job code cannot take another role, do DDL or read another section\'s tables', async (t) => {
  await jobCodeIsConfined(t, 'member_login', memberLoginSetup);
});
