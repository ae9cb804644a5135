import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { sectionsInGroups } from '../lib/services/job/jobSourceGroups.ts';
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
  t.deepEqual(sectionsInGroups(config, ['MAIN']), ['do_foo']);
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

test.serial('a group with no sections is bad input', async (t) => {
  const result = await runScript('cronscripts/process-job-source-groups.ts', ['WEEKLY'], { env: { JOBS_CONFIG: groupsConfig() } });
  t.is(result.code, 2);
  t.is(result.stderr, 'ERROR   process-job-source-groups: no job section is in crontab group WEEKLY (see --help)\n');
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
