// The cron scripts as cron runs them: real processes, their exit status and stderr.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import { CronScript } from '../lib/services/scripts/cronScript.ts';
import { EXIT_STATUS_MEANINGS, ExitStatus } from '../lib/services/scripts/exitStatus.ts';
import { processStartTime } from '../lib/services/processStartTime.ts';
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
async function expectRefusal(t: import('ava').ExecutionContext, args: string[], configFile: string, status: number, pattern: RegExp, env: Record<string, string> = {}) {
  const result = await runScript('cronscripts/run_jobs.ts', args, { env: { JOBS_CONFIG: configFile, ...env } });
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
  t.regex(result.stdout, /^run_jobs <section> \[options\]\n\nRun every ready job of the job source named by a job section/);
  t.regex(result.stdout, /--verbose/);
  t.regex(result.stdout, /--log-file/);
});

for (const script of ['run_jobs.ts', 'do-foo.ts', 'process-job-source-groups.ts']) {
  test.serial(`${script} --help names JOBS_CONFIG, DATABASE_URL and every exit status`, async (t) => {
    const result = await runScript(`cronscripts/${script}`, ['--help']);
    t.is(result.code, 0, result.stderr);
    t.regex(result.stdout, /\n {2}JOBS_CONFIG {3}the instance config file/);
    t.regex(result.stdout, /\n {2}DATABASE_URL {2}PostgreSQL URL/);
    for (const [name, code] of Object.entries(ExitStatus)) {
      const meaning = EXIT_STATUS_MEANINGS[name as keyof typeof ExitStatus];
      t.true(result.stdout.includes(`  ${String(code).padEnd(5)}${meaning}`), `${code} ${meaning}`);
    }
  });
}

test.serial('a custom script\'s --help shows its usage line and what it does', async (t) => {
  const result = await runScript('cronscripts/do-foo.ts', ['--help']);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^do-foo \[options\]\n\nRun every ready job of IDoFooJobSource once, as config section \[do_foo\] says\.\nIts lock file is <lock_dir>\/do_foo\.lock\.\n/);
});

test.serial('lock busy and a crash have different exit statuses', (t) => {
  t.not(ExitStatus.LOCK_BUSY, ExitStatus.FAILURE);
  t.is(new Set(Object.values(ExitStatus)).size, Object.values(ExitStatus).length);
});

test.serial('no section on the command line is a usage error', async (t) => {
  await expectRefusal(t, [], db().configFile, 2, /^ERROR {3}run_jobs: name the config section to run; job sections: do_foo, import_cats, instance_jobs \(see --help\)$/);
});

test.serial('an unknown option is a usage error', async (t) => {
  await expectRefusal(t, ['do_foo', '--frobnicate'], db().configFile, 2, /Unknown argument: frobnicate/);
});

test.serial('an unknown section is refused', async (t) => {
  await expectRefusal(t, ['do_nothing'], db().configFile, 2, /^ERROR {3}run_jobs: unknown config section \[do_nothing\] in .*; job sections: do_foo, import_cats, instance_jobs$/);
});

test.serial('a section that is not a job section is refused as such', async (t) => {
  await expectRefusal(t, ['database'], db().configFile, 2, /^ERROR {3}run_jobs: \[database\] is not a job section: a job section says "link: job_runner" and sets dbuser and source_interface \(or tasks, for a multi-step job\); job sections in .*: do_foo, import_cats, instance_jobs$/);
});

test.serial('the job_runner template is not a job section', async (t) => {
  await expectRefusal(t, ['job_runner'], db().configFile, 2, /^ERROR {3}run_jobs: \[job_runner\] is the template that job sections link to: /);
});

test.serial('JOBS_CONFIG set but empty is refused, not read as the development config', async (t) => {
  await expectRefusal(t, ['do_foo'], '', 2, /^ERROR {3}run_jobs: JOBS_CONFIG is set but empty: set it to the instance config file .*, or unset it to use config\/development\.ini$/);
});

test.serial('an empty config file is named as empty', async (t) => {
  const file = join(db().dir, 'empty.ini');
  writeFileSync(file, '');
  await expectRefusal(t, ['do_foo'], file, 2, /^ERROR {3}run_jobs: config file .*empty\.ini is empty: an instance file starts with "\[meta\]" and "extends: /);
});

test.serial('a config file without [meta] extends is named for it', async (t) => {
  const file = join(db().dir, 'no-extends.ini');
  writeFileSync(file, '[do_foo]\nbatch_size: 3\n');
  await expectRefusal(t, ['do_foo'], file, 2, /^ERROR {3}run_jobs: config file .*no-extends\.ini has no \[meta\] extends: an instance file must extend the schema/);
});

test.serial('a DATABASE_URL that is not a URL is bad input, before any connection', async (t) => {
  await expectRefusal(t, ['do_foo'], db().configFile, 2, /^ERROR {3}run_jobs: DATABASE_URL 'database' is not a PostgreSQL URL: write it as postgres:\/\/user:password@host:5432\/database, or leave it unset/, { DATABASE_URL: 'database' });
});

test.serial('a DATABASE_URL without a scheme is refused with its password masked', async (t) => {
  await expectRefusal(t, ['do_foo'], db().configFile, 2, /^ERROR {3}run_jobs: DATABASE_URL 'app:\*\*\*@db\.example\.com\/jobs' is not a PostgreSQL URL/, { DATABASE_URL: 'app:s3cr3tpw@db.example.com/jobs' });
});

test.serial('a [database] url that is not a URL is named with its file', async (t) => {
  const file = configWith('url-not-url', '[database]\nurl: localhost');
  await expectRefusal(t, ['do_foo'], file, 2, /^ERROR {3}run_jobs: \[database\] url in .*url-not-url\.ini 'localhost' is not a PostgreSQL URL/);
});

test.serial('--log-file writes the log to the file as well', async (t) => {
  const logFile = join(db().dir, 'do_foo.log');
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo', '--log-file', logFile], { env: { JOBS_CONFIG: db().configFile } });
  t.is(result.code, 0, result.stderr);
  t.is(readFileSync(logFile, 'utf8'), 'INFO    Ran 1 DoFooJob jobs.\n');
  await resetJob();
});

test.serial('a --log-file in a folder that does not exist is one line, exit 2', async (t) => {
  await expectRefusal(t, ['do_foo', '--log-file', '/nonexistent-jobsystem/do_foo.log'], db().configFile, 2, /^ERROR {3}run_jobs: cannot write the log file \/nonexistent-jobsystem\/do_foo\.log: its folder \/nonexistent-jobsystem does not exist; create the folder, or name another --log-file$/);
  t.false(existsSync('/nonexistent-jobsystem'));
});

test.serial('a --log-file that is a folder is one line, exit 2', async (t) => {
  await expectRefusal(t, ['do_foo', '--log-file', db().dir], db().configFile, 2, /^ERROR {3}run_jobs: cannot write the log file .*: it is a folder; name a file this user can write with --log-file$/);
});

test.serial('a --log-file under /proc is one line, exit 2', async (t) => {
  await expectRefusal(t, ['do_foo', '--log-file', '/proc/jobsystem/do_foo.log'], db().configFile, 2, /^ERROR {3}run_jobs: cannot write the log file \/proc\/jobsystem\/do_foo\.log: its folder \/proc\/jobsystem does not exist/);
  await expectRefusal(t, ['do_foo', '--log-file', '/proc/do_foo.log'], db().configFile, 2, /^ERROR {3}run_jobs: cannot write the log file \/proc\/do_foo\.log: cannot create it there \(ENOENT\)/);
});

test.serial('a --lock-dir under /proc ends at once with one line, exit 2', async (t) => {
  await expectRefusal(t, ['do_foo', '--lock-dir', '/proc/jobsystem/lock'], db().configFile, 2, /^ERROR {3}run_jobs: cannot make the lock folder \/proc\/jobsystem\/lock: cannot create \/proc\/jobsystem \(ENOENT\); set --lock-dir or \[scripts\] lock_dir to a folder this user can write$/);
});

test.serial('a --lock-dir that is a file is one line, exit 2', async (t) => {
  const file = join(db().dir, 'not-a-folder');
  writeFileSync(file, '');
  await expectRefusal(t, ['do_foo', '--lock-dir', file], db().configFile, 2, /^ERROR {3}run_jobs: cannot make the lock folder .*not-a-folder: .*not-a-folder is not a folder; set --lock-dir/);
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

/** Reset the test's job to WAITING after a run completed it. */
async function resetJob(): Promise<void> {
  await db().admin.query(`UPDATE job SET status = 'WAITING', attempt_count = 0, date_started = NULL, date_finished = NULL WHERE id = $1`, [jobId]);
}

/** Write do_foo's lock file with `content`; returns its path. */
function writeLock(content: string): string {
  mkdirSync(db().lockDir, { recursive: true });
  const lock = join(db().lockDir, 'do_foo.lock');
  writeFileSync(lock, content);
  return lock;
}

test.serial('a busy lock file stops the script with exit 75, saying whose it is, since when and how to clear it', async (t) => {
  // Held by this (live) test process, written as a run writes it: host, pid and start time.
  const lock = writeLock(`${hostname()}:${process.pid}:${processStartTime('self')}\n`);
  try {
    await expectRefusal(t, ['do_foo'], db().configFile, 75, new RegExp(
      `^INFO {4}Lockfile ${lock} in use by pid ${process.pid} on host ${hostname()} since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(\\d+s ago\\); if that process is not a run of this script, remove the lock: rm ${lock}$`,
    ));
  } finally {
    rmSync(lock, { force: true });
  }
});

test.serial('a lock file from another host is busy: it cannot be judged from here', async (t) => {
  const lock = writeLock('some-other-host.example.com:4242:1\n');
  try {
    await expectRefusal(t, ['do_foo'], db().configFile, 75, /^INFO {4}Lockfile .* in use by pid 4242 on host some-other-host\.example\.com since .*; if that process is not a run of this script, remove the lock: rm /);
  } finally {
    rmSync(lock, { force: true });
  }
});

/** Run do_foo with a stale lock in place: it is taken over, the job runs, and the log says what was found. */
async function expectTakeOver(t: import('ava').ExecutionContext, lock: string, found: RegExp) {
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo', '-v'], { env: { JOBS_CONFIG: db().configFile } });
  t.is(result.code, 0, result.stderr);
  t.true(result.stderr.includes(`DEBUG   Creating lockfile: ${lock}`));
  const tookOver = result.stderr.split('\n').find((line) => line.includes('Took over stale lockfile'));
  t.regex(tookOver ?? '', new RegExp(`^INFO {4}Took over stale lockfile ${lock} \\(it named ${found.source}\\)\\.$`));
  t.is((await reloadJob(db().admin.manager, jobId)).status, 'COMPLETED');
  t.false(existsSync(lock));
  t.deepEqual(readdirSync(db().lockDir).filter((name) => name.includes('stale')), []);
  await resetJob();
}

test.serial('a lock file left by a dead process is taken over', async (t) => {
  const lock = writeLock(`${hostname()}:999999\n`);
  await expectTakeOver(t, lock, /pid 999999 on host .*, which is not running/);
});

test.serial('an empty lock file is stale', async (t) => {
  await expectTakeOver(t, writeLock(''), /empty/);
});

test.serial('a lock file of garbage is stale', async (t) => {
  await expectTakeOver(t, writeLock('\u0000\u0000garbage\n'), /not host:pid but '.*garbage'/);
});

test.serial('a lock file naming a live process that is not a run is stale', async (t) => {
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await expectTakeOver(t, writeLock(`${hostname()}:${sleeper.pid}\n`), new RegExp(`pid ${sleeper.pid} on host .*, which is not a cron script`));
  } finally {
    sleeper.kill();
  }
});

test.serial('a lock file whose pid now belongs to another process is stale', async (t) => {
  // This process's pid with a start time that is not this process's.
  const lock = writeLock(`${hostname()}:${process.pid}:1\n`);
  await expectTakeOver(t, lock, new RegExp(`pid ${process.pid} on host .*, now another process`));
});

test.serial('log lines carry a timestamp outside tests', async (t) => {
  const file = configWith('timestamps', '[scripts]\nlog_timestamps: true');
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo', '-q', '-v'], { env: { JOBS_CONFIG: file } });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO {4}Ran 1 DoFooJob jobs\.\n$/);
  await resetJob();
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
