import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../lib/services/config/errors.ts';
import { configFileFromEnvironment, loadConfig } from '../lib/services/config/loadConfig.ts';
import { checkJobSection, jobSectionNames } from '../lib/services/job/jobSections.ts';
import { fromRoot } from '../lib/services/paths.ts';
import { loadJobSource } from '../lib/services/job/sourceInterface.ts';

const SCHEMA = fromRoot('config/schema.ini');

/** Write an instance file extending the real schema, with `body` after the [meta] part. */
function instance(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobsystem-config-'));
  const file = join(dir, 'instance.ini');
  writeFileSync(file, `[meta]\nextends: ${SCHEMA}\n\n${body}\n`);
  return file;
}

test('the development config loads and [do_foo] names its role and source', (t) => {
  const config = loadConfig(fromRoot('config/development.ini'));
  const section = config.section('do_foo');
  t.is(section.string('dbuser'), 'dofoo');
  t.is(section.string('source_interface'), 'lib.component.foo.interfaces.foojob.IDoFooJobSource');
});

test('a linked section inherits the defaults of the section it links to', (t) => {
  const section = loadConfig(fromRoot('config/development.ini')).section('do_foo');
  t.is(section.integer('batch_size'), 50);
  t.is(section.duration('lease_duration'), 30_000);
});

test('an instance file overrides values down the extends chain', (t) => {
  const file = instance('[do_foo]\nbatch_size: 7\n\n[error_reports]\noops_prefix: PROD');
  const config = loadConfig(file);
  t.is(config.section('do_foo').integer('batch_size'), 7);
  t.is(config.section('do_foo').string('dbuser'), 'dofoo');
  t.is(config.section('error_reports').string('oops_prefix'), 'PROD');
});

test('a new section may link to job_runner and override what it needs', (t) => {
  const config = loadConfig(instance('[do_qux_example]\nlink: do_foo\nsource_interface: lib.x.IQuxExample\nlease_duration: 2m'));
  const section = config.section('do_qux_example');
  t.is(section.string('dbuser'), 'dofoo');
  t.is(section.string('source_interface'), 'lib.x.IQuxExample');
  t.is(section.duration('lease_duration'), 120_000);
});

test('JOBS_CONFIG selects the instance file', (t) => {
  const file = instance('[error_reports]\noops_prefix: FROMENV');
  const before = process.env.JOBS_CONFIG;
  process.env.JOBS_CONFIG = file;
  try {
    t.is(loadConfig().section('error_reports').string('oops_prefix'), 'FROMENV');
  } finally {
    if (before === undefined) delete process.env.JOBS_CONFIG;
    else process.env.JOBS_CONFIG = before;
  }
});

test('JOBS_CONFIG unset means config/development.ini', (t) => {
  t.is(configFileFromEnvironment({}), fromRoot('config/development.ini'));
});

test('JOBS_CONFIG set but empty is refused', (t) => {
  t.throws(() => configFileFromEnvironment({ JOBS_CONFIG: '' }), { instanceOf: ConfigError, message: /^JOBS_CONFIG is set but empty: set it to the instance config file/ });
  t.throws(() => configFileFromEnvironment({ JOBS_CONFIG: '  ' }), { instanceOf: ConfigError, message: /^JOBS_CONFIG is set but empty/ });
});

test('an empty config file is refused as empty', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jobsystem-config-'));
  const file = join(dir, 'empty.ini');
  writeFileSync(file, '# nothing here yet\n\n');
  t.throws(() => loadConfig(file), { instanceOf: ConfigError, message: `config file ${file} is empty: an instance file starts with "[meta]" and "extends: <path of config/schema.ini, relative to the file>"` });
});

test('a config file that extends nothing is refused for that, not for the keys it lacks', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jobsystem-config-'));
  const file = join(dir, 'production.ini');
  writeFileSync(file, '[database]\nurl: postgres://db.example.com/app\n');
  t.throws(() => loadConfig(file), { instanceOf: ConfigError, message: new RegExp(`^config file ${file} has no \\[meta\\] extends: an instance file must extend the schema`) });
});

test('the job sections are those that link to job_runner, not the template itself', (t) => {
  const config = loadConfig(instance('[do_qux_example]\nlink: job_runner\ndbuser: dofoo\nsource_interface: lib.x.IQuxExample'));
  t.deepEqual(jobSectionNames(config), ['do_foo', 'import_cats', 'instance_jobs', 'do_qux_example']);
  t.notThrows(() => checkJobSection(config, 'do_qux_example'));
  t.throws(() => checkJobSection(config, 'scripts'), { instanceOf: ConfigError, message: /^\[scripts\] is not a job section: .*; job sections in .*: do_foo, import_cats, instance_jobs, do_qux_example$/ });
  t.throws(() => checkJobSection(config, 'job_runner'), { instanceOf: ConfigError, message: /^\[job_runner\] is the template that job sections link to/ });
});

test('an unknown section is named, with the sections that exist', (t) => {
  const error = t.throws(() => loadConfig(fromRoot('config/development.ini')).section('do_nothing'), { instanceOf: ConfigError });
  t.regex(error!.message, /unknown config section \[do_nothing\].*sections: .*do_foo/);
});

test('a missing dbuser is named with its datatype and description', (t) => {
  const config = loadConfig(instance('[do_qux_example]\nlink: job_runner\nsource_interface: lib.x.IQuxExample'));
  const error = t.throws(() => config.section('do_qux_example').string('dbuser'), { instanceOf: ConfigError });
  t.regex(error!.message, /\[do_qux_example\] is missing 'dbuser' \(string: The database role/);
});

test('a missing source_interface is named', (t) => {
  const config = loadConfig(instance('[do_qux_example]\nlink: job_runner\ndbuser: dofoo'));
  const error = t.throws(() => config.section('do_qux_example').string('source_interface'), { instanceOf: ConfigError });
  t.regex(error!.message, /\[do_qux_example\] is missing 'source_interface'/);
});

test('a value of the wrong datatype is refused at load, naming file, section, key and value', (t) => {
  const file = instance('[do_foo]\nbatch_size: lots');
  const error = t.throws(() => loadConfig(file), { instanceOf: ConfigError });
  t.is(error!.message, `${file}: [do_foo] batch_size: 'lots' is not an integer`);
});

test('a bad boolean and a bad duration are refused', (t) => {
  t.throws(() => loadConfig(instance('[scripts]\nlog_timestamps: perhaps')), { message: /'perhaps' is not a boolean/ });
  t.throws(() => loadConfig(instance('[do_foo]\nlease_duration: soon')), { message: /'soon' is not a duration/ });
});

test('a key the schema does not declare is refused', (t) => {
  t.throws(() => loadConfig(instance('[do_foo]\ndbusr: dofoo')), { instanceOf: ConfigError, message: /\[do_foo\] dbusr is not a key of this section \(known keys: .*dbuser/ });
});

test('a file that does not parse is refused with its line number', (t) => {
  const file = instance('[do_foo\ndbuser: dofoo');
  t.throws(() => loadConfig(file), { instanceOf: ConfigError, message: new RegExp(`${file}:4: cannot parse line: \\[do_foo`) });
});

test('a config file that does not exist is named', (t) => {
  t.throws(() => loadConfig('/nonexistent/jobs.ini'), { instanceOf: ConfigError, message: 'cannot read config file /nonexistent/jobs.ini: ENOENT' });
});

test('a link to an unknown section and a link loop are refused', (t) => {
  t.throws(() => loadConfig(instance('[do_qux_example]\nlink: nowhere')), { message: /\[do_qux_example\] links to unknown section \[nowhere\]/ });
  t.throws(() => loadConfig(instance('[a_x]\nlink: b_x\n[b_x]\nlink: a_x')), { message: /link to each other in a loop/ });
});

test('an unknown job source says what it tried and which sources exist', async (t) => {
  const error = await t.throwsAsync(loadJobSource('lib.component.foo.interfaces.foojob.IDoBarJobSource'), { instanceOf: ConfigError });
  t.regex(error!.message, /unknown job source 'lib\.component\.foo\.interfaces\.foojob\.IDoBarJobSource': module lib\/component\/foo\/interfaces\/foojob\.ts has no export 'IDoBarJobSource'; known sources: .*lib\.component\.foo\.interfaces\.foojob\.IDoFooJobSource/);
  // Only real definitions are listed, not examples in comments.
  t.false(error!.message.includes('sourceInterface.X'));
  const missing = await t.throwsAsync(loadJobSource('lib.nothing.here.ISource'), { instanceOf: ConfigError });
  t.regex(missing!.message, /tried module lib\/nothing\/here\.ts, which does not exist/);
});

test('the job source named by [do_foo] loads', async (t) => {
  const source = await loadJobSource('lib.component.foo.interfaces.foojob.IDoFooJobSource');
  t.is(source.name, 'DoFooJob');
  t.deepEqual(source.jobTypes, ['DoFooJob']);
});
