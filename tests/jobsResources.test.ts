// Operating jobs on resources: jobs.ts list --resource TYPE/NAME and show (resource and result),
// and /metrics and the status page with resource jobs in the table, refused ones included
// (FAILED with their error, never run).
import test from 'ava';
import { createInstance, upgradeInstance } from '../lib/component/instances/instanceJobs.ts';
import { makeTestApi, type TestApi } from './helpers/apiServer.ts';
import { makeJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'jobsresources');
const jobs = (args: string[]) => runScript('cronscripts/jobs.ts', args, { env: { JOBS_CONFIG: db().configFile } });
let created: { create: number; upgrade: number; refused: number; plain: number };
let api: TestApi;

test.serial.before(async () => {
  const manager = db().admin.manager;
  const create = await createInstance(manager, 'adm-1', 'v1');
  const upgrade = await upgradeInstance(manager, 'adm-1', 'v2');
  const refused = await upgradeInstance(manager, 'adm-none', 'v2');
  const plain = await makeJob(manager, { status: 'COMPLETED' });
  const run = await runScript('cronscripts/run_jobs.ts', ['instance_jobs'], { env: { JOBS_CONFIG: db().configFile } });
  if (run.code !== 0) throw new Error(run.stderr);
  created = { create: create.job.id, upgrade: upgrade.job.id, refused: refused.job.id, plain: plain.id };
  api = await makeTestApi(db());
});

test.after.always(async () => {
  await api?.app.close();
});

test.serial('list --resource TYPE/NAME lists the jobs of one resource, with a RESOURCE column', async (t) => {
  const table = await jobs(['list', '--resource', 'instance/adm-1']);
  t.is(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  t.regex(lines[0]!, /^ID +TYPE +STATUS .* RESOURCE +LAST ERROR$/);
  t.is(lines.length, 3);
  t.regex(lines[1]!, new RegExp(`^${created.upgrade} +UpgradeInstanceJob +COMPLETED .* instance/adm-1$`));
  t.regex(lines[2]!, new RegExp(`^${created.create} +CreateInstanceJob +COMPLETED .* instance/adm-1$`));

  const json = await jobs(['list', '--json', '--resource', 'instance']);
  t.deepEqual(JSON.parse(json.stdout).jobs.map((job: { id: number }) => job.id), [created.refused, created.upgrade, created.create]);
  const same = await jobs(['list', '--json', '--resource-type', 'instance', '--resource-name', 'adm-none']);
  t.deepEqual(JSON.parse(same.stdout).jobs.map((job: { id: number }) => job.id), [created.refused]);
});

test.serial('list --resource refuses what is not TYPE/NAME, and both forms at once: one line, exit 2', async (t) => {
  for (const args of [['--resource', '/adm-1'], ['--resource', 'instance/'], ['--resource', 'instance/adm-1', '--resource-name', 'x']]) {
    const result = await jobs(['list', ...args]);
    t.is(result.code, 2, args.join(' '));
    t.is(result.stderr.trim().split('\n').length, 1, result.stderr);
    t.regex(result.stderr, /^ERROR   jobs: (--resource: '.*' is not TYPE\/NAME|give --resource TYPE\/NAME, or --resource-type and --resource-name, not both)/);
  }
});

test.serial('show prints the resource and the result of a job on a resource, and the error of a refused one', async (t) => {
  const shown = await jobs(['show', String(created.upgrade)]);
  t.is(shown.code, 0, shown.stderr);
  t.regex(shown.stdout, /^Resource: +instance\/adm-1$/m);
  t.regex(shown.stdout, /^Result: \{\n {4}"name": "adm-1",\n {4}"version": "v2",\n {4}"previousVersion": "v1"\n {2}\}$/m);
  const refused = await jobs(['show', String(created.refused)]);
  t.regex(refused.stdout, /^Status: +FAILED/m);
  t.regex(refused.stdout, /^Last error: +ResourceNotFound: Instance 'adm-none' does not exist\.$/m);
  t.regex(refused.stdout, /^Started: +-$/m);
});

test.serial('/metrics counts jobs on resources, refused ones as failed in the last hour', async (t) => {
  const response = await api.app.inject({ url: '/metrics', headers: api.asReader });
  t.is(response.statusCode, 200);
  t.regex(response.body, /^jobsystem_jobs\{queue="default",job_type="UpgradeInstanceJob",status="FAILED"\} 1$/m);
  t.regex(response.body, /^jobsystem_jobs\{queue="default",job_type="UpgradeInstanceJob",status="COMPLETED"\} 1$/m);
  t.regex(response.body, /^jobsystem_failed_last_hour\{queue="default",job_type="UpgradeInstanceJob"\} 1$/m);
});

test.serial('the status page lists a refused job among the failures with its error', async (t) => {
  const response = await api.app.inject({ url: '/status/fragment', headers: api.asAdmin });
  t.is(response.statusCode, 200);
  t.true(response.body.includes('ResourceNotFound: Instance &#39;adm-none&#39; does not exist.') || response.body.includes('ResourceNotFound: Instance &#x27;adm-none&#x27; does not exist.'), response.body.slice(0, 2000));
  t.true(response.body.includes(String(created.refused)));
});
