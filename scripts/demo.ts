// npm run demo: the main job end to end on the embedded PostgreSQL.
// Creates three Foos with a DoFooJob each, runs `cronscripts/run_jobs.ts do_foo` the way
// cron would, and shows what changed.
import { spawnSync } from 'node:child_process';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import { FooEntity } from '../lib/component/foo/model/foo.ts';
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { applySchema } from '../lib/services/database/applySchema.ts';
import { describeUrl, resolveDatabaseUrl } from '../lib/services/database/databaseUrl.ts';
import { openDataSource } from '../lib/services/database/dataSource.ts';
import { fromRoot } from '../lib/services/paths.ts';

const config = loadConfig();
console.log(`Config: ${config.file}`);
const url = await resolveDatabaseUrl(config);
console.log(`Database: ${describeUrl(url)} (schema ${await applySchema(url)})`);
const dataSource = await openDataSource(url);
const foos = await dataSource.transaction(async (manager) => {
  const made = [];
  for (const name of ['alpha', 'beta', 'gamma']) {
    const foo = await manager.save(FooEntity, manager.create(FooEntity, { name: `${name}-${Date.now()}` }));
    const job = await DoFooJob.create(manager, foo);
    console.log(`Created ${job.toString()} for Foo ${foo.id} '${foo.name}'`);
    made.push(foo);
  }
  return made;
});

console.log('\n$ cronscripts/run_jobs.ts do_foo -v');
const run = spawnSync(fromRoot('cronscripts/run_jobs.ts'), ['do_foo', '-v'], { stdio: 'inherit' });
console.log(`(exit status ${run.status})\n`);

for (const foo of foos) {
  const after = await dataSource.manager.findOneByOrFail(FooEntity, { id: foo.id });
  console.log(`Foo ${after.id} '${after.name}': some_attribute = ${after.someAttribute}`);
}
const [{ count }] = await dataSource.query(`SELECT count(*) AS count FROM job WHERE status = 'COMPLETED' AND job_type = 'DoFooJob'`);
console.log(`DoFooJob jobs completed so far in this database: ${count}`);
await dataSource.destroy();
process.exitCode = run.status ?? 1;
