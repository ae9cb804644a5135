// An empty run -- cron's most common case -- asks the database one question and loads neither
// the job source nor TypeORM; the declaration that allows it must match the source.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../lib/services/config/errors.ts';
import { defineJobSource, findJobSourceInterface, knownSourceInterfaces } from '../lib/services/job/sourceInterface.ts';
import { insertJob } from '../lib/services/job/sql/insertJob.ts';
import { reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'empty_run');

function unloadableConfig(dbuser = 'postgres'): string {
  const file = join(db().dir, `unloadable-${dbuser}.ini`);
  writeFileSync(
    file,
    [
      '[meta]',
      `extends: ${db().configFile}`,
      '[unloadable]',
      'link: job_runner',
      `dbuser: ${dbuser}`,
      'source_interface: tests.helpers.unloadableSource.IUnloadableJobSource',
      '',
    ].join('\n'),
  );
  return file;
}

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

test.serial('an empty run of a declared source does not load the source', async (t) => {
  // A job of another type is not this section's work.
  await insertJob(db().admin.manager, { jobType: 'SomeOtherJob' });
  const result = await runScript('cronscripts/run_jobs.ts', ['unloadable'], { env: { JOBS_CONFIG: unloadableConfig() } });
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, 'INFO    Ran 0 UnloadableJob jobs.\n');
});

test.serial('a ready job makes the run load the source', async (t) => {
  const job = await insertJob(db().admin.manager, { jobType: 'UnloadableJob' });
  const result = await runScript('cronscripts/run_jobs.ts', ['unloadable'], { env: { JOBS_CONFIG: unloadableConfig() } });
  t.is(result.code, 1);
  t.regex(result.stderr, /IUnloadableJobSource was loaded/);
  // Nothing was claimed: the job waits as it was.
  const after = await reloadJob(db().admin.manager, job.id);
  t.is(after.status, 'WAITING');
  t.is(after.attemptCount, 0);
});

test.serial("a dead runner's job (RUNNING, lease passed) is work too", async (t) => {
  const job = await insertJob(db().admin.manager, { jobType: 'UnloadableJob' });
  await db().admin.query(`UPDATE job SET status = 'RUNNING', attempt_count = 1, lease_expires = now() - interval '1 second' WHERE id = $1`, [job.id]);
  const result = await runScript('cronscripts/run_jobs.ts', ['unloadable'], { env: { JOBS_CONFIG: unloadableConfig() } });
  t.is(result.code, 1);
  t.regex(result.stderr, /IUnloadableJobSource was loaded/);
});

test.serial('the question is asked as the section\'s role: a role that does not exist is one line and exit 3, even with nothing to do', async (t) => {
  const result = await runScript('cronscripts/run_jobs.ts', ['unloadable'], { env: { JOBS_CONFIG: unloadableConfig('no_such_role') } });
  t.is(result.code, 3);
  t.regex(result.stderr, /^ERROR {3}run_jobs: cannot use the database at .* as role no_such_role: role "no_such_role" does not exist\n$/);
});

test.serial('a dbuser that is not a role name is bad input: exit 2', async (t) => {
  const result = await runScript('cronscripts/run_jobs.ts', ['unloadable'], { env: { JOBS_CONFIG: unloadableConfig('Bad-Role') } });
  t.is(result.code, 2);
  t.regex(result.stderr, /dbuser 'Bad-Role' is not a valid role name/);
});

test('a declaration that disagrees with its source is refused when the source loads', async (t) => {
  const wrong = defineJobSource('IWrongJobSource', async () => ScriptedJob, { jobTypes: ['OtherJob'], jobName: 'ScriptedJob' });
  await t.throwsAsync(wrong.load(), {
    instanceOf: ConfigError,
    message: 'IWrongJobSource declares job types [OtherJob] named ScriptedJob, but the source it loads runs [ScriptedJob] named ScriptedJob',
  });
  const right = defineJobSource('IRightJobSource', async () => ScriptedJob, { jobTypes: ['ScriptedJob'], jobName: 'ScriptedJob' });
  t.is((await right.load()).name, 'ScriptedJob');
});

test("every declared source of the project's own agrees with what it loads", async (t) => {
  const paths = [...(await knownSourceInterfaces()), 'bench.noopJob.INoopJobSource'];
  const declared = [];
  for (const path of paths) {
    const sourceInterface = await findJobSourceInterface(path);
    if (!sourceInterface.declared) continue;
    declared.push(path);
    const source = await sourceInterface.load();
    t.is(source.name, sourceInterface.declared.jobName, path);
  }
  t.true(declared.includes('lib.component.foo.interfaces.foojob.IDoFooJobSource'));
  t.true(declared.includes('bench.noopJob.INoopJobSource'));
});
