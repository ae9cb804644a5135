// cronscripts/jobs.ts, run as operators run it: outputs, --json, --help and exit statuses.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import { JobsScript } from '../lib/services/admin/jobsScript.ts';
import { createOops } from '../lib/services/oops/report.ts';
import { writeOops } from '../lib/services/oops/store.ts';
import { EXIT_STATUS_MEANINGS, ExitStatus } from '../lib/services/scripts/exitStatus.ts';
import { makeFoo, makeJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'jobs_command');
const SCRIPT = 'cronscripts/jobs.ts';

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
  await db().admin.query('DELETE FROM admin_log');
});

function jobs(...args: string[]) {
  return runScript(SCRIPT, args);
}

async function jobIn(status: 'WAITING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'SUSPENDED', jobType = 'TestJob'): Promise<number> {
  return (await makeJob(db().admin.manager, { status, jobType })).id;
}

async function rowOf(id: number): Promise<Record<string, unknown>> {
  return (await db().admin.query('SELECT to_jsonb(job) AS row FROM job WHERE id = $1', [id]))[0].row;
}

async function adminLog(): Promise<Array<{ operator: string; action: string; job: number; old_status: string; new_status: string; detail: string | null }>> {
  return db().admin.query('SELECT operator, action, job, old_status, new_status, detail FROM admin_log ORDER BY id');
}

test.serial('list prints a table of jobs, newest first, with the next page\'s command', async (t) => {
  const failed = await jobIn('FAILED', 'DoFooJob');
  await db().admin.query(`UPDATE job SET last_error = 'TypeError: boom' WHERE id = $1`, [failed]);
  const waiting = await jobIn('WAITING');
  const result = await jobs('list', '--limit', '1');
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, '');
  const lines = result.stdout.trimEnd().split('\n');
  t.regex(lines[0]!, /^ID +TYPE +STATUS +STATE +QUEUE +PRI +TRIES +CREATED \(UTC\) +LAST ERROR$/);
  t.regex(lines[1]!, new RegExp(`^${waiting} +TestJob +WAITING +NEW +default +0 +0/1 +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`));
  t.is(lines[2], `More: jobs.ts list --limit 1 --after ${waiting}`);
  const next = await jobs('list', '--limit', '1', '--after', String(waiting));
  t.regex(next.stdout, new RegExp(`\\n${failed} +DoFooJob +FAILED +FAILED .* TypeError: boom\\n$`));
});

test.serial('list --json prints the service layer\'s listing, filters applied', async (t) => {
  const failed = await jobIn('FAILED', 'TypeA');
  await jobIn('FAILED', 'TypeB');
  await jobIn('WAITING', 'TypeA');
  const result = await jobs('list', '--json', '--status', 'FAILED', '--type', 'TypeA,TypeC');
  t.is(result.code, 0, result.stderr);
  const listing = JSON.parse(result.stdout);
  t.deepEqual(listing.jobs.map((job: { id: number }) => job.id), [failed]);
  t.like(listing, { nextAfterId: null, jobs: [{ id: failed, jobType: 'TypeA', status: 'FAILED', state: 'FAILED' }] });
});

test.serial('show prints the job with its domain row and OOPS summary; --json the same as data', async (t) => {
  const manager = db().admin.manager;
  const job = await DoFooJob.create(manager, await makeFoo(manager));
  const report = createOops(new TypeError('no frozzle'), { reporter: 'TEST-do_foo' });
  await writeOops(db().errorDir, report);
  await db().admin.query(`UPDATE job SET status = 'FAILED', last_error = 'TypeError: no frozzle', last_oops = $2 WHERE id = $1`, [job.job.id, report.id]);
  const result = await jobs('show', String(job.job.id));
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, new RegExp(`^Job: +${job.job.id} \\(DoFooJob\\)\\nStatus: +FAILED \\(FAILED\\)\\n`));
  t.regex(result.stdout, /\nLast error: +TypeError: no frozzle\n/);
  t.regex(result.stdout, new RegExp(`\\nOOPS: +${report.id} at ${report.time}: TypeError: no frozzle\\n`));
  t.regex(result.stdout, /\nDomain row \(foojob\): \{\n {4}"foo": \d+,\n {4}"job": \d+,\n {4}"job_type": "DO_FOO",/);
  const json = await jobs('show', String(job.job.id), '--json');
  t.like(JSON.parse(json.stdout), { job: { id: job.job.id, status: 'FAILED' }, oops: { id: report.id, report: { type: 'TypeError' } }, domainRows: [{ table: 'foojob' }] });
});

test.serial('show and retry of an unknown id: one line naming JobNotFound, exit 2', async (t) => {
  for (const command of ['show', 'retry']) {
    const result = await jobs(command, '987654');
    t.is(result.code, ExitStatus.BAD_INPUT);
    t.is(result.stdout, '');
    t.is(result.stderr, "ERROR   jobs: JobNotFound: Job '987654' does not exist.\n");
  }
  t.deepEqual(await adminLog(), []);
});

test.serial('retry of a FAILED job makes it WAITING, logged with the --as name', async (t) => {
  const id = await jobIn('FAILED');
  const result = await jobs('retry', String(id), '--as', 'carol');
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, `Job ${id} (TestJob): FAILED -> WAITING.\n`);
  t.regex(result.stderr, new RegExp(`^INFO    carol retried job ${id} \\(TestJob\\): Failed -> Waiting\\.\\n$`));
  t.like(await rowOf(id), { status: 'WAITING' });
  t.like((await adminLog())[0], { operator: 'carol', action: 'retry', job: id, old_status: 'FAILED', new_status: 'WAITING' });
});

test.serial('retry of a COMPLETED job: one line naming InvalidTransition, exit 2, nothing changed', async (t) => {
  const id = await jobIn('COMPLETED');
  const before = await rowOf(id);
  const result = await jobs('retry', String(id));
  t.is(result.code, ExitStatus.BAD_INPUT);
  t.is(result.stdout, '');
  t.is(result.stderr, 'ERROR   jobs: InvalidTransition: Transition from Completed to Waiting is invalid: only a failed job can be retried.\n');
  t.deepEqual(await rowOf(id), before);
  t.deepEqual(await adminLog(), []);
});

test.serial('suspend, resume and cancel --reason, as JSON', async (t) => {
  const id = await jobIn('WAITING');
  const suspended = await jobs('suspend', String(id), '--json', '-q');
  t.is(suspended.code, 0, suspended.stderr);
  t.like(JSON.parse(suspended.stdout), { action: 'suspend', oldStatus: 'WAITING', job: { status: 'SUSPENDED' } });
  const cancelled = await jobs('cancel', String(id), '--reason', 'duplicate', '--as', 'dave', '--json', '-q');
  t.is(cancelled.code, 0, cancelled.stderr);
  t.like(JSON.parse(cancelled.stdout), { action: 'cancel', oldStatus: 'SUSPENDED', job: { status: 'FAILED', lastError: 'Cancelled by dave: duplicate' } });
  const resumed = await jobs('resume', String(id));
  t.is(resumed.code, ExitStatus.BAD_INPUT);
  t.is(resumed.stderr, 'ERROR   jobs: InvalidTransition: Transition from Failed to Waiting is invalid: only a suspended job can be resumed.\n');
  t.deepEqual((await adminLog()).map((entry) => entry.action), ['suspend', 'cancel']);
});

test.serial('bad input is refused before the database: one line, exit 2', async (t) => {
  // The database is unreachable: these must stop before trying it.
  const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
  const cases: Array<[string[], RegExp]> = [
    [['retry', 'abc'], /^ERROR {3}jobs: 'abc' is not a job id \(see --help\)\n$/],
    [['list', '--older-than', 'soon'], /^ERROR {3}jobs: --older-than: 'soon' is not a duration such as 30m, 24h or 7d \(see --help\)\n$/],
    [['frobnicate'], /^ERROR {3}jobs: Unknown argument: frobnicate \(see --help\)\n$/],
    [[], /^ERROR {3}jobs: name a command: list, show, retry, suspend, resume, cancel, prune, unserved, log, oops \(see --help\)\n$/],
  ];
  for (const [args, expected] of cases) {
    const result = await runScript(SCRIPT, args, { env });
    t.is(result.code, ExitStatus.BAD_INPUT, args.join(' '));
    t.regex(result.stderr, expected);
  }
  const badStatus = await jobs('list', '--status', 'DONE');
  t.is(badStatus.code, ExitStatus.BAD_INPUT);
  t.regex(badStatus.stderr, /^ERROR {3}jobs: unknown status 'DONE'; valid: WAITING, .* \(see --help\)\n$/);
});

test.serial('an unreachable database: one line, exit 3', async (t) => {
  const result = await runScript(SCRIPT, ['list'], { env: { DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/none' } });
  t.is(result.code, ExitStatus.DATABASE_UNAVAILABLE);
  t.is(result.stdout, '');
  t.regex(result.stderr, /^ERROR {3}jobs: cannot use the database at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none: .*\n$/);
  t.notRegex(result.stderr, /secret/);
});

test.serial('prune deletes old finished jobs and logs it; unserved names the types nobody runs', async (t) => {
  const old = await jobIn('COMPLETED');
  await db().admin.query(`UPDATE job SET date_created = now() - interval '3 days', date_finished = now() - interval '3 days' WHERE id = $1`, [old]);
  await jobIn('WAITING', 'NobodyRunsMe');
  const pruned = await jobs('prune', '--older-than', '1d', '--as', 'erin');
  t.is(pruned.code, 0, pruned.stderr);
  t.regex(pruned.stdout, /^Deleted 1 COMPLETED or FAILED job older than \S+\.\n$/);
  t.like((await adminLog())[0], { operator: 'erin', action: 'prune' });
  const unserved = await jobs('unserved');
  t.is(unserved.code, 0, unserved.stderr);
  t.regex(unserved.stdout, /^JOB TYPE +WAITING +OLDEST IDS\nNobodyRunsMe +1 +\d+\n$/);
});

test.serial('oops list, show and prune', async (t) => {
  rmSync(db().errorDir, { recursive: true, force: true });
  const report = createOops(new Error('disk on fire'), { reporter: 'TEST-x', now: new Date('2020-01-02T03:04:05Z') });
  await writeOops(db().errorDir, report);
  const listed = await jobs('oops', 'list');
  t.is(listed.code, 0, listed.stderr);
  t.regex(listed.stdout, new RegExp(`^ID +TIME \\(UTC\\) +REPORTER +ERROR\\n${report.id} +2020-01-02 03:04:05 +TEST-x +Error: disk on fire\\n$`));
  const shown = await jobs('oops', 'show', report.id, '--json');
  t.like(JSON.parse(shown.stdout), { id: report.id, value: 'disk on fire' });
  const missing = await jobs('oops', 'show', 'OOPS-nosuch');
  t.is(missing.code, ExitStatus.BAD_INPUT);
  t.is(missing.stderr, "ERROR   jobs: OopsNotFound: OOPS 'OOPS-nosuch' does not exist.\n");
  const pruned = await jobs('oops', 'prune', '--older-than', '30d', '-q');
  t.is(pruned.code, 0, pruned.stderr);
  t.regex(pruned.stdout, /^Deleted 1 OOPS report filed before /);
  t.is((await jobs('oops', 'list')).stdout, 'No OOPS reports.\n');
});

test.serial('--help exits 0 and lists every command', async (t) => {
  const result = await jobs('--help');
  t.is(result.code, 0, result.stderr);
  for (const command of ['list', 'show <id>', 'retry <id>', 'suspend <id>', 'resume <id>', 'cancel <id>', 'prune', 'unserved', 'log', 'oops']) {
    t.regex(result.stdout, new RegExp(`\\n {2}jobs ${command.replace(/[<>]/g, '.')} `), command);
  }
});

// Every subcommand's --help, in-process (the same yargs definition the script runs).
const SUBCOMMANDS = [['list'], ['show'], ['retry'], ['suspend'], ['resume'], ['cancel'], ['prune'], ['unserved'], ['log'], ['oops', 'list'], ['oops', 'show'], ['oops', 'prune']];
for (const command of SUBCOMMANDS) {
  test.serial(`jobs ${command.join(' ')} --help: usage, description, JOBS_CONFIG, DATABASE_URL, exit statuses`, (t) => {
    let help = '';
    const log = console.log;
    console.log = (...parts: unknown[]) => (help += `${parts.join(' ')}\n`);
    try {
      void new JobsScript({ testArgs: [...command, '--help'] }).args;
    } finally {
      console.log = log;
    }
    t.true(help.startsWith(`jobs ${command.join(' ')}`), help.split('\n')[0]);
    t.regex(help, /^jobs .*\n\n\S.+\n/);
    t.regex(help, /\n {2}JOBS_CONFIG {3}the instance config file/);
    t.regex(help, /\n {2}DATABASE_URL {2}PostgreSQL URL/);
    for (const [name, code] of Object.entries(ExitStatus)) {
      t.true(help.includes(`  ${String(code).padEnd(5)}${EXIT_STATUS_MEANINGS[name as keyof typeof ExitStatus]}`), `${command.join(' ')}: exit ${code}`);
    }
    t.true(help.includes('also: an unknown job or OOPS id, or a refused change (InvalidTransition)'));
  });
}

test.serial('the test config keeps OOPS reports in the test folder', (t) => {
  t.is(db().errorDir, join(db().dir, 'oops'));
});

test.serial('[jobs_admin] dbuser: the command acts as that role; one it cannot take is exit 3', async (t) => {
  const config = join(db().dir, 'jobs-admin-role.ini');
  writeFileSync(config, `[meta]\nextends: ${db().configFile}\n\n[jobs_admin]\ndbuser: no_such_admin_role\n`);
  const result = await runScript(SCRIPT, ['list'], { env: { JOBS_CONFIG: config } });
  t.is(result.code, ExitStatus.DATABASE_UNAVAILABLE);
  t.regex(result.stderr, /^ERROR {3}jobs: cannot use the database at .* as role no_such_admin_role: .*\n$/);
});
