// What a cron run under -q (as in crontab.example) says when it fails a job.
import test from 'ava';
import { listOops, readOops } from '../lib/services/oops/store.ts';
import { reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { ScriptedJob } from './helpers/scriptedJob.ts';
import { scriptedConfig } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'failedjoblog');

test.serial.afterEach.always(async () => {
  await db().admin.query('DELETE FROM job');
});

for (const isolated of [false, true]) {
  const label = isolated ? 'isolated' : 'in process';
  test.serial(`${label}: a run under -q that fails a job logs one WARNING naming the job and its OOPS, files that one report, and exits 0`, async (t) => {
    const id = (await ScriptedJob.create(db().admin.manager, { action: 'crash' })).job.id;
    const before = await listOops(db().errorDir);
    const config = scriptedConfig(db(), `quiet-${label.replace(' ', '-')}`, { isolated });
    const result = await runScript('cronscripts/run_jobs.ts', ['scripted', '-q'], { env: { JOBS_CONFIG: config }, timeoutMs: 60_000 });
    t.is(result.code, 0, result.stderr);
    const job = await reloadJob(db().admin.manager, id);
    t.is(job.status, 'FAILED');
    t.is(result.stderr, `WARNING Job resulted in OOPS: ${job.lastOops} (ScriptedJob (ID ${id}): TypeError: cannot read properties of undefined)\n`);
    const added = (await listOops(db().errorDir)).filter((path) => !before.includes(path));
    t.is(added.length, 1, 'no second report for the WARNING line');
    t.true(added[0]!.endsWith(`/${job.lastOops}`));
    t.is((await readOops(added[0]!)).type, 'TypeError');
  });
}
