// Case d: enqueue through each project's bulk API, one call: jobsystem NoopJob.createMany in
// one transaction (one INSERT ... SELECT FROM unnest), graphile-worker workerUtils.addJobs
// (one SELECT graphile_worker.add_jobs(...)). Timed from the call to its return; opening the
// connection is not timed.
import * as graphile from '../graphile.ts';
import * as jobsystem from '../jobsystem.ts';
import { alternate, newSeries, scaled, type BenchContext, type CaseResult } from '../harness.ts';

export async function enqueue(context: BenchContext): Promise<CaseResult> {
  const jobs = scaled(context, 20_000);
  const result: CaseResult = {
    id: 'd',
    title: 'enqueue through the bulk API, one call',
    unit: 'jobs/s',
    better: 'higher',
    jobs,
    jobsystem: newSeries('NoopJob.createMany(manager, payloads) in dataSource.transaction() (BEGIN, one INSERT, COMMIT)'),
    graphile: newSeries('workerUtils.addJobs(specs) (one statement, autocommit)'),
    notes: ['payload {"i": n} for both.'],
  };
  await alternate(context, 'd', {
    jobsystem: async () => {
      const ms = await jobsystem.enqueue(await jobsystem.freshDatabase(context.admin), jobs);
      return { value: jobs / (ms / 1000), wallMs: ms };
    },
    graphile: async () => {
      const ms = await graphile.enqueue(await graphile.freshDatabase(context.admin), jobs);
      return { value: jobs / (ms / 1000), wallMs: ms };
    },
  }, result);
  return result;
}
