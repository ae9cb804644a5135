// Case b: each project's defaults, one job at a time, one process until the queue is drained.
import { DEFAULT_SECTION } from '../jobsystem.ts';
import { alternate, newSeries, scaled, type BenchContext, type CaseResult } from '../harness.ts';
import { drainGraphile, drainJobsystem } from './drain.ts';

export async function oneAtATime(context: BenchContext): Promise<CaseResult> {
  const jobs = scaled(context, 20_000);
  const result: CaseResult = {
    id: 'b',
    title: 'one job at a time (defaults), one process',
    unit: 'jobs/s',
    better: 'higher',
    jobs,
    jobsystem: newSeries(`cronscripts/run_jobs.ts ${DEFAULT_SECTION} ([job_runner] defaults: batch_size 50, concurrency 1)`),
    graphile: newSeries('graphile-worker --once --jobs 1 (its CLI; otherwise defaults: maxPoolSize 10, no local queue, no batched completion)'),
    notes: [],
  };
  await alternate(context, 'b', {
    jobsystem: (rep) => drainJobsystem(context, { name: `b-jobsystem-${rep}`, jobs, section: DEFAULT_SECTION }),
    graphile: (rep) => drainGraphile(context, { name: `b-graphile-${rep}`, jobs }),
  }, result);
  return result;
}
