// Case e: four worker processes at once on one queue (each project's defaults otherwise);
// total jobs/s from the first start to the last exit.
import { DEFAULT_SECTION } from '../jobsystem.ts';
import { alternate, newSeries, scaled, type BenchContext, type CaseResult } from '../harness.ts';
import { drainGraphile, drainJobsystem } from './drain.ts';

export async function fourProcesses(context: BenchContext): Promise<CaseResult> {
  const jobs = scaled(context, 20_000);
  const result: CaseResult = {
    id: 'e',
    title: '4 processes at once on one queue',
    unit: 'jobs/s',
    better: 'higher',
    jobs,
    jobsystem: newSeries(`4 x cronscripts/run_jobs.ts ${DEFAULT_SECTION} --lock-dir var/bench/lock/pN (defaults)`),
    graphile: newSeries('4 x graphile-worker --once --jobs 1'),
    notes: ['On 2 cores, shared with PostgreSQL.'],
  };
  await alternate(context, 'e', {
    jobsystem: (rep) => drainJobsystem(context, { name: `e-jobsystem-${rep}`, jobs, section: DEFAULT_SECTION, processes: 4 }),
    graphile: (rep) => drainGraphile(context, { name: `e-graphile-${rep}`, jobs, processes: 4 }),
  }, result);
  return result;
}
