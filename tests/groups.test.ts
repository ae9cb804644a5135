import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { describeGroups, sectionsInGroups, selectSections } from '../lib/services/job/jobSourceGroups.ts';
import { processStartTime } from '../lib/services/processStartTime.ts';
import { makeJob, reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'groups');
const SCRIPTED = 'link: job_runner\ndbuser: postgres\nsource_interface: tests.helpers.scriptedJob.IScriptedJobSource';

function groupsConfig(): string {
  const file = join(db().dir, 'groups.ini');
  writeFileSync(file, [
    '[meta]', `extends: ${db().configFile}`, '',
    '[first_ok]', SCRIPTED, 'crontab_group: NIGHTLY', '',
    '[second_broken]', 'link: job_runner', 'dbuser: postgres', 'source_interface: tests.helpers.nowhere.INoSource', 'crontab_group: NIGHTLY', '',
    '[third_elsewhere]', SCRIPTED, 'crontab_group: HOURLY', '',
  ].join('\n'));
  return file;
}

test.serial('sections are picked by crontab group, less the excluded ones', (t) => {
  const config = loadConfig(groupsConfig());
  t.deepEqual(sectionsInGroups(config, ['NIGHTLY']), ['first_ok', 'second_broken']);
  t.deepEqual(sectionsInGroups(config, ['NIGHTLY', 'HOURLY'], ['second_broken']), ['first_ok', 'third_elsewhere']);
  t.deepEqual(sectionsInGroups(config, ['HOURLY'], ['IScriptedJobSource']), []);
  // MAIN is the default group: do_foo is in it, and so is any section a project adds to
  // config/schema.ini without a crontab_group; the sections above are not.
  const main = sectionsInGroups(config, ['MAIN']);
  t.true(main.includes('do_foo'));
  t.deepEqual(main.filter((name) => ['first_ok', 'second_broken', 'third_elsewhere'].includes(name)), []);
});

test.serial('process-job-source-groups runs each section of the group and its exit status counts the failures', async (t) => {
  const id = (await ScriptedJob.create(db().admin.manager, { action: 'succeed' })).job.id;
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['NIGHTLY'], { env: { JOBS_CONFIG: groupsConfig() } });
  t.is(result.code, 1, result.stderr);
  t.regex(result.stderr, /INFO {4}Running job source first_ok\.\nINFO {4}Ran 1 ScriptedJob jobs\./);
  t.regex(result.stderr, /INFO {4}Running job source second_broken\.\nERROR {3}run_jobs: unknown job source 'tests\.helpers\.nowhere\.INoSource'/);
  t.regex(result.stderr, /Ran 2 job sources; 1 failed\./);
  t.is((await reloadJob(db().admin.manager, id)).status, 'COMPLETED');
});

test.serial('-e leaves a section out', async (t) => {
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['NIGHTLY', '-e', 'second_broken'], { env: { JOBS_CONFIG: groupsConfig() } });
  t.is(result.code, 0, result.stderr);
  t.notRegex(result.stderr, /second_broken/);
});

test.serial('an excluded name is matched against the selected sections, and one that is not there is reported', (t) => {
  const config = loadConfig(groupsConfig());
  t.deepEqual(selectSections(config, ['NIGHTLY'], ['third_elsewhere', 'IScriptedJobSource']), { sections: ['second_broken'], notInGroups: ['third_elsewhere'], unknownGroups: [] });
  t.deepEqual(selectSections(config, ['WEEKLY', 'NIGHTLY']).unknownGroups, ['WEEKLY']);
});

/** The sections of config/schema.ini in the default group MAIN, as the description lists them. */
function mainSections(): string {
  return sectionsInGroups(loadConfig(groupsConfig()), ['MAIN']).join(', ');
}

test.serial('the groups are described with their sections, in group order', (t) => {
  t.is(describeGroups(loadConfig(groupsConfig())), `HOURLY: third_elsewhere; MAIN: ${mainSections()}; NIGHTLY: first_ok, second_broken`);
});

test.serial('a group with no sections is bad input and the line lists the groups', async (t) => {
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['WEEKLY'], { env: { JOBS_CONFIG: groupsConfig() } });
  t.is(result.code, 2);
  t.is(result.stderr, `ERROR   process-job-source-groups: no job section is in crontab group WEEKLY; groups and their sections: HOURLY: third_elsewhere; MAIN: ${mainSections()}; NIGHTLY: first_ok, second_broken (see --help)\n`);
});

test.serial('no group is a usage error that lists the groups and their sections', async (t) => {
  const result = await runScript('cronscripts/process-job-source-groups.ts', [], { env: { JOBS_CONFIG: groupsConfig() } });
  t.is(result.code, 2);
  t.is(result.stderr, `ERROR   process-job-source-groups: name at least one crontab group; groups and their sections: HOURLY: third_elsewhere; MAIN: ${mainSections()}; NIGHTLY: first_ok, second_broken (see --help)\n`);
});

test.serial('--help lists the groups and their sections', async (t) => {
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['--help'], { env: { JOBS_CONFIG: groupsConfig() } });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^process-job-source-groups GROUP\.\.\. \[-e SECTION_OR_SOURCE\]\.\.\. \[options\]\n/);
  t.true(result.stdout.includes(`Groups and their sections:\nHOURLY: third_elsewhere\nMAIN: ${mainSections()}\nNIGHTLY: first_ok, second_broken\n`), result.stdout);
});

test.serial('excluding every section of a group exits 0 with nothing to do', async (t) => {
  const id = (await ScriptedJob.create(db().admin.manager, { action: 'succeed' })).job.id;
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['HOURLY', '-e', 'IScriptedJobSource'], { env: { JOBS_CONFIG: groupsConfig() } });
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, 'INFO    Nothing to do: every section of HOURLY is excluded.\n');
  t.is((await reloadJob(db().admin.manager, id)).status, 'WAITING');
  await db().admin.query('DELETE FROM job WHERE id = $1', [id]);
});

test.serial("an excluded name that is not in the group is one INFO line, and the run goes on", async (t) => {
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['NIGHTLY', '-e', 'second_broken', '-e', 'third_elsewhere'], { env: { JOBS_CONFIG: groupsConfig() } });
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr.split('\n')[0], "INFO    'third_elsewhere' is not in NIGHTLY");
  t.regex(result.stderr, /Running job source first_ok\./);
  t.regex(result.stderr, /Ran 1 job sources; 0 failed\./);
});

test.serial('a section whose lock another run holds is skipped, not counted as failed', async (t) => {
  mkdirSync(db().lockDir, { recursive: true });
  const lock = join(db().lockDir, 'first_ok.lock');
  writeFileSync(lock, `${hostname()}:${process.pid}:${processStartTime('self')}\n`);
  try {
    const result = await runScript('cronscripts/process-job-source-groups.ts', ['NIGHTLY', '-e', 'second_broken'], { env: { JOBS_CONFIG: groupsConfig() } });
    t.is(result.code, 0, result.stderr);
    t.regex(result.stderr, /INFO {4}Lockfile .*first_ok\.lock in use by pid \d+/);
    t.regex(result.stderr, /INFO {4}Job source first_ok is still running from an earlier start; skipped\.\n/);
    t.regex(result.stderr, /Ran 1 job sources; 0 failed\./);
  } finally {
    rmSync(lock, { force: true });
  }
});

test.serial('process-job-source-groups warns about waiting jobs whose job_type no section runs, naming their ids and type', async (t) => {
  const orphans = [await makeJob(db().admin.manager, { jobType: 'NoSectionRunsThisJob' }), await makeJob(db().admin.manager, { jobType: 'NoSectionRunsThisJob' })];
  const served = (await ScriptedJob.create(db().admin.manager, { action: 'succeed' })).job.id;
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['NIGHTLY', '-e', 'second_broken'], { env: { JOBS_CONFIG: groupsConfig() } });
  t.is(result.code, 0, result.stderr);
  const ids = orphans.map((job) => job.id).join(', ');
  t.regex(
    result.stderr,
    new RegExp(`WARNING 2 waiting job\\(s\\) of job_type NoSectionRunsThisJob, which no section of the config runs \\(sections whose source could not be loaded: second_broken\\), will never run: ids ${ids}\\.`),
  );
  t.notRegex(result.stderr, /job_type ScriptedJob|job_type DoFooJob/);
  t.is((await reloadJob(db().admin.manager, served)).status, 'COMPLETED');
  await db().admin.query('DELETE FROM job WHERE id = ANY($1)', [orphans.map((job) => job.id)]);
});

/** A group SEVERAL of three sections of a declared source (an empty one is answered by the
 * probe), one queue each. */
function severalConfig(): string {
  const file = join(db().dir, 'several.ini');
  const section = (name: string) => [`[${name}]`, 'link: job_runner', 'dbuser: postgres', 'source_interface: tests.helpers.scriptedJob.IDeclaredScriptedJobSource', 'crontab_group: SEVERAL', `queues: ${name}`, ''];
  writeFileSync(file, ['[meta]', `extends: ${db().configFile}`, '', ...section('g_one'), ...section('g_two'), ...section('g_three')].join('\n'));
  return file;
}

test.serial('of a group whose one section has work, only that section gets a run_jobs process; the others are probed in this one', async (t) => {
  const id = (await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'g_two' })).job.id;
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['SEVERAL', '-v'], { env: { JOBS_CONFIG: severalConfig() } });
  t.is(result.code, 0, result.stderr);
  t.is((await reloadJob(db().admin.manager, id)).status, 'COMPLETED');
  // A run_jobs process logs its own lock file (at -v); the probes in this process do not.
  t.deepEqual([...result.stderr.matchAll(/Creating lockfile: .*\/(g_\w+)\.lock/g)].map((match) => match[1]), ['g_two'], result.stderr);
  t.regex(result.stderr, /Running job source g_one\.\nINFO {4}Ran 0 ScriptedJob jobs\.\n/);
  t.regex(result.stderr, /Running job source g_three\.\nINFO {4}Ran 0 ScriptedJob jobs\.\n/);
  t.regex(result.stderr, /INFO {4}Ran 3 job sources; 0 failed\.\nINFO {4}Started 1 run_jobs process\(es\); 2 job source\(s\) had nothing to do\.\n/);
});

test.serial('a job held by a dead runner of this host is work: a run_jobs process takes it back, and its queue\'s section runs it', async (t) => {
  // A pid whose process has ended: its runner is dead for certain, though its lease has not passed.
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
  const id = (await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'g_three' })).job.id;
  await db().admin.query(`UPDATE job SET status = 'RUNNING', attempt_count = 1, claimed_by = $2, lease_expires = now() + interval '1 hour' WHERE id = $1`, [id, `${hostname()}:${deadPid}`]);
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['SEVERAL'], { env: { JOBS_CONFIG: severalConfig() } });
  t.is(result.code, 0, result.stderr);
  // Taking back a dead runner's jobs is any section of their type's work, whatever their queue
  // (as in run_jobs): the first section takes it back; g_three, whose queue it is in, runs it.
  t.regex(result.stderr, /Running job source g_one\.\nINFO {4}Job \d+ \(ScriptedJob\) was left running by [^\n]*, whose process is gone; requeued/);
  t.regex(result.stderr, /Running job source g_two\.\nINFO {4}Ran 0 ScriptedJob jobs\.\nINFO {4}Running job source g_three\.\nINFO {4}Running ScriptedJob \(ID \d+\) on its own/);
  t.regex(result.stderr, /Started 2 run_jobs process\(es\); 1 job source\(s\) had nothing to do\./);
  const job = await reloadJob(db().admin.manager, id);
  t.is(job.status, 'COMPLETED');
  t.is(job.runnerDeaths, 1);
});

test.serial('a probed section whose lock another run holds is skipped without a process, not counted as failed', async (t) => {
  mkdirSync(db().lockDir, { recursive: true });
  const lock = join(db().lockDir, 'g_two.lock');
  writeFileSync(lock, `${hostname()}:${process.pid}:${processStartTime('self')}\n`);
  const id = (await ScriptedJob.create(db().admin.manager, { action: 'succeed' }, { queueName: 'g_two' })).job.id;
  try {
    const result = await runScript('cronscripts/process-job-source-groups.ts', ['SEVERAL'], { env: { JOBS_CONFIG: severalConfig() } });
    t.is(result.code, 0, result.stderr);
    t.regex(result.stderr, /INFO {4}Lockfile .*g_two\.lock in use by pid \d+.*\nINFO {4}Job source g_two is still running from an earlier start; skipped\.\n/);
    t.regex(result.stderr, /Ran 3 job sources; 0 failed\.\nINFO {4}Started 0 run_jobs process\(es\); 2 job source\(s\) had nothing to do\./);
    t.is((await reloadJob(db().admin.manager, id)).status, 'WAITING');
  } finally {
    rmSync(lock, { force: true });
    await db().admin.query('DELETE FROM job WHERE id = $1', [id]);
  }
});
