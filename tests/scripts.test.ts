// The cron scripts as cron runs them: real processes, their exit status and stderr.
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import { CronScript } from '../lib/services/scripts/cronScript.ts';
import { listOops, readOops } from '../lib/services/oops/store.ts';
import { captureStderr } from './helpers/captureStderr.ts';
import { makeFoo, reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'scripts');
let jobId = 0;

test.serial.before(async () => {
  const foo = await makeFoo(db().admin.manager);
  jobId = (await DoFooJob.create(db().admin.manager, foo)).job.id;
});

/** A config file extending this file's test config with `body`. */
function configWith(name: string, body: string): string {
  const file = join(db().dir, `${name}.ini`);
  writeFileSync(file, `[meta]\nextends: ${db().configFile}\n\n${body}\n`);
  return file;
}

/** Run run_jobs with a config and check: one line, the status, and the job untouched. */
async function expectRefusal(t: import('ava').ExecutionContext, args: string[], configFile: string, status: number, pattern: RegExp) {
  const result = await runScript('cronscripts/run_jobs.ts', args, { env: { JOBS_CONFIG: configFile } });
  t.is(result.code, status, result.stderr);
  t.is(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  t.is(lines.length, 1, result.stderr);
  t.regex(lines[0]!, pattern);
  const job = await reloadJob(db().admin.manager, jobId);
  t.is(job.status, 'WAITING');
  t.is(job.attemptCount, 0);
}

test.serial('--help describes the script and exits 0', async (t) => {
  const result = await runScript('cronscripts/run_jobs.ts', ['--help']);
  t.is(result.code, 0);
  t.regex(result.stdout, /run_jobs <section>/);
  t.regex(result.stdout, /--verbose/);
  t.regex(result.stdout, /--log-file/);
});

test.serial('no section on the command line is a usage error', async (t) => {
  await expectRefusal(t, [], db().configFile, 2, /^ERROR {3}run_jobs: name the config section to run, e\.g\. do_foo \(see --help\)$/);
});

test.serial('an unknown option is a usage error', async (t) => {
  await expectRefusal(t, ['do_foo', '--frobnicate'], db().configFile, 2, /Unknown argument: frobnicate/);
});

test.serial('an unknown section is refused', async (t) => {
  await expectRefusal(t, ['do_nothing'], db().configFile, 2, /^ERROR {3}run_jobs: unknown config section \[do_nothing\] in .*; sections: .*do_foo/);
});

test.serial('a section without dbuser is refused', async (t) => {
  const file = configWith('no-dbuser', '[do_qux_example]\nlink: job_runner\nsource_interface: lib.component.foo.interfaces.foojob.IDoFooJobSource');
  await expectRefusal(t, ['do_qux_example'], file, 2, /\[do_qux_example\] is missing 'dbuser'/);
});

test.serial('a section without source_interface is refused', async (t) => {
  const file = configWith('no-source', '[do_qux_example]\nlink: job_runner\ndbuser: dofoo');
  await expectRefusal(t, ['do_qux_example'], file, 2, /\[do_qux_example\] is missing 'source_interface'/);
});

test.serial('a key of the wrong datatype is refused', async (t) => {
  const file = configWith('bad-type', '[do_foo]\nbatch_size: many');
  await expectRefusal(t, ['do_foo'], file, 2, /\[do_foo\] batch_size: 'many' is not an integer/);
});

test.serial('a config file that does not parse is refused', async (t) => {
  const file = configWith('unparsable', '[do_foo\nbatch_size: 3');
  await expectRefusal(t, ['do_foo'], file, 2, /cannot parse line: \[do_foo/);
});

test.serial('an unknown job source is refused', async (t) => {
  const file = configWith('bad-source', '[do_foo]\nsource_interface: lib.component.foo.interfaces.foojob.IDoBazJobSource');
  await expectRefusal(t, ['do_foo'], file, 2, /unknown job source .*IDoBazJobSource.*known sources: .*IDoFooJobSource/);
});

test.serial('an unreachable database is one line, exit 3, and hides the password', async (t) => {
  const file = configWith('no-database', '[database]\nurl: postgres://app:s3cr3tpw@127.0.0.1:1/jobs');
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo'], { env: { JOBS_CONFIG: file } });
  await expectRefusal(t, ['do_foo'], file, 3, /^ERROR {3}run_jobs: cannot use the database at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/jobs: .*ECONNREFUSED/);
  t.false(result.stderr.includes('s3cr3tpw'));
});

test.serial('DATABASE_URL points the script at another server than the config names', async (t) => {
  const file = configWith('overridden', '[database]\nurl: postgres://nobody@127.0.0.1:1/nowhere');
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo'], { env: { JOBS_CONFIG: file, DATABASE_URL: db().url } });
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, 'INFO    Ran 1 DoFooJob jobs.\n');
  t.is((await reloadJob(db().admin.manager, jobId)).status, 'COMPLETED');
  await db().admin.query(`UPDATE job SET status = 'WAITING', attempt_count = 0, date_started = NULL, date_finished = NULL WHERE id = $1`, [jobId]);
});

test.serial('a busy lock file stops the script with exit 1', async (t) => {
  mkdirSync(db().lockDir, { recursive: true });
  const lock = join(db().lockDir, 'do_foo.lock');
  // Held by this (live) test process.
  writeFileSync(lock, `${hostname()}:${process.pid}\n`);
  try {
    await expectRefusal(t, ['do_foo'], db().configFile, 1, new RegExp(`^INFO {4}Lockfile ${lock} in use$`));
  } finally {
    const { rmSync } = await import('node:fs');
    rmSync(lock, { force: true });
  }
});

test.serial('a lock file left by a dead process is taken over', async (t) => {
  mkdirSync(db().lockDir, { recursive: true });
  const lock = join(db().lockDir, 'do_foo.lock');
  writeFileSync(lock, `${hostname()}:999999\n`);
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo', '-v'], { env: { JOBS_CONFIG: db().configFile } });
  t.is(result.code, 0, result.stderr);
  t.true(result.stderr.includes(`DEBUG   Creating lockfile: ${lock}`));
  t.is((await reloadJob(db().admin.manager, jobId)).status, 'COMPLETED');
  await db().admin.query(`UPDATE job SET status = 'WAITING', attempt_count = 0, date_started = NULL, date_finished = NULL WHERE id = $1`, [jobId]);
});

test.serial('log lines carry a timestamp outside tests', async (t) => {
  const file = configWith('timestamps', '[scripts]\nlog_timestamps: true');
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo', '-q', '-v'], { env: { JOBS_CONFIG: file } });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO {4}Ran 1 DoFooJob jobs\.\n$/);
  await db().admin.query(`UPDATE job SET status = 'WAITING', attempt_count = 0, date_started = NULL, date_finished = NULL WHERE id = $1`, [jobId]);
});

test.serial('a WARNING logged by a script files an OOPS report', async (t) => {
  class WarningScript extends CronScript {
    readonly scriptName = 'warner';
    async main(): Promise<void> {
      this.logger.warning('the frobnicator is low');
    }
  }
  const before = await listOops(db().errorDir);
  const { value: status, stderr } = await captureStderr(() => new WarningScript({ testArgs: ['-q'] }).lockAndRun());
  t.is(status, 0);
  t.is(stderr, 'WARNING the frobnicator is low\n');
  const added = (await listOops(db().errorDir)).filter((path) => !before.includes(path));
  t.is(added.length, 1);
  const report = await readOops(added[0]!);
  t.is(report.type, 'LoggedWarning');
  t.is(report.value, 'the frobnicator is low');
  t.is(report.reporter, 'LOCAL-warner');
});

test.serial('a script whose main() throws exits 1 with one line and an OOPS', async (t) => {
  class BrokenScript extends CronScript {
    readonly scriptName = 'broken';
    async main(): Promise<void> {
      throw new Error('the widget fell off');
    }
  }
  const before = await listOops(db().errorDir);
  const { value: status, stderr } = await captureStderr(() => new BrokenScript({ testArgs: ['-q'] }).lockAndRun());
  t.is(status, 1);
  t.is(stderr, 'ERROR   broken failed: Error: the widget fell off\n');
  const added = (await listOops(db().errorDir)).filter((path) => !before.includes(path));
  t.is(added.length, 1);
  t.regex((await readOops(added[0]!)).value, /broken failed: Error: the widget fell off/);
});
