// A section's jobs run with the privileges of its dbuser role, and no more.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { FooEntity } from '../lib/component/foo/model/foo.ts';
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { JobCronScript } from '../lib/services/job/cronscript.ts';
import { listOops, readOops } from '../lib/services/oops/store.ts';
import { DevNullLogger } from '../lib/services/scripts/logger.ts';
import { makeFoo, reloadJob } from './helpers/factory.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'dbuser');

function scriptFor(dbuser: string): JobCronScript {
  const file = join(db().dir, `scripted-${dbuser}.ini`);
  writeFileSync(file, `[meta]\nextends: ${db().configFile}\n\n[scripted]\nlink: job_runner\ndbuser: ${dbuser}\nsource_interface: tests.helpers.scriptedJob.IScriptedJobSource\n`);
  const script = new JobCronScript({ testArgs: ['scripted'], commandlineConfig: true, config: loadConfig(file) });
  script.logger = new DevNullLogger();
  return script;
}

test.serial('a job writing a column its role may not write fails with an OOPS naming "permission denied", and nothing changes', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager, { name: 'original', someAttribute: 'before' });
  const forbidden = await ScriptedJob.create(manager, { action: 'write-forbidden', fooId: foo.id });
  const script = scriptFor('dofoo');
  await script.main();
  const job = await reloadJob(manager, forbidden.job.id);
  t.is(job.status, 'FAILED');
  const oopsId = script.runner!.oopsIds[0];
  t.truthy(oopsId);
  const path = (await listOops(db().errorDir)).find((p) => p.endsWith(oopsId!));
  const report = await readOops(path!);
  t.regex(report.value, /permission denied for table foo/);
  const after = await manager.findOneByOrFail(FooEntity, { id: foo.id });
  t.is(after.name, 'original');
  t.is(after.someAttribute, 'before');
});

test.serial('the same job succeeds under a role that may write the column', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager, { name: 'original' });
  const allowed = await ScriptedJob.create(manager, { action: 'write-forbidden', fooId: foo.id });
  await scriptFor('postgres').main();
  t.is((await reloadJob(manager, allowed.job.id)).status, 'COMPLETED');
  t.is((await manager.findOneByOrFail(FooEntity, { id: foo.id })).name, 'renamed');
});

test.serial('every statement of the run executes as the dbuser role', async (t) => {
  const manager = db().admin.manager;
  const foo = await makeFoo(manager);
  const job = await ScriptedJob.create(manager, { action: 'record-role', fooId: foo.id });
  const script = scriptFor('dofoo');
  await script.main();
  t.is((await reloadJob(manager, job.job.id)).status, 'COMPLETED');
  t.is((await manager.findOneByOrFail(FooEntity, { id: foo.id })).someAttribute, 'dofoo');
});
