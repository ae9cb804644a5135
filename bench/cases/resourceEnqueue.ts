// Case m, jobsystem alone: enqueue one transaction per job (as a web request does), a job on a
// resource with its prediction (NoopResourceJob.enqueue: the resource's lock, the prediction
// query, the resource type's exists(), the insert) beside a plain job (NoopJob.create).
import * as jobsystem from '../jobsystem.ts';
import { alternate, newSeries, scaled, type BenchContext, type CaseResult } from '../harness.ts';
import { enqueueEach } from '../resourceJobs.ts';

export async function resourceEnqueue(context: BenchContext): Promise<CaseResult> {
  const jobs = scaled(context, 2_000);
  const resources = Math.max(2, scaled(context, 1_000));
  const result: CaseResult = {
    id: 'm',
    title: 'enqueue, one transaction per job: on resources vs plain (jobsystem only)',
    unit: 'jobs/s',
    better: 'higher',
    jobs,
    columns: { jobsystem: 'on resources', graphile: 'plain' },
    jobsystem: newSeries(`NoopResourceJob.enqueue(manager, 'slot<i mod ${resources}>', {i}) in its own dataSource.transaction(), round the ${resources} resources of the 'benchslot' type (its exists() answers true without a query; option UPDATE)`),
    graphile: newSeries('NoopJob.create(manager, {i}) in its own dataSource.transaction()'),
    notes: [
      'graphile-worker has no resource rule: the second column is jobsystem\'s plain enqueue, the ratio on resources / plain.',
      'Each commit waits for its WAL flush (synchronous_commit on), on both sides.',
    ],
  };
  const run = (over: number | null) => async () => {
    const ms = await enqueueEach(await jobsystem.freshDatabase(context.admin), jobs, over);
    return { value: jobs / (ms / 1000), wallMs: ms };
  };
  await alternate(context, 'm', { jobsystem: run(resources), graphile: run(null) }, result, context.repeat, { jobsystem: 'resources', graphile: 'plain' });
  return result;
}
