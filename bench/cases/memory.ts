// Case g: peak resident memory of one worker process over 100,000 jobs, each project in its
// case c configuration (the one that holds the most jobs in memory at once).
import { rssMethod } from '../process.ts';
import { alternate, newSeries, scaled, type BenchContext, type CaseResult, type Sample } from '../harness.ts';
import { drainGraphile, drainJobsystem } from './drain.ts';
import { GRAPHILE_FASTEST, type Tuning } from './fastest.ts';

export async function memory(context: BenchContext, tuning: Tuning): Promise<CaseResult> {
  const jobs = scaled(context, 100_000);
  const { section } = tuning.chosen;
  const result: CaseResult = {
    id: 'g',
    title: `peak RSS of one run over ${jobs.toLocaleString('en-US')} jobs`,
    unit: 'MB',
    better: 'lower',
    jobs,
    jobsystem: newSeries(`cronscripts/run_jobs.ts ${section} (case c's choice)`),
    graphile: newSeries(GRAPHILE_FASTEST),
    notes: [`peak RSS measured with ${rssMethod}; MB = MiB.`],
  };
  const toMb = async (run: Promise<Sample>): Promise<Sample> => {
    const sample = await run;
    if (sample.peakRssKb == null) throw new Error('peak RSS could not be read');
    return { ...sample, value: sample.peakRssKb / 1024, jobsPerSecond: sample.value };
  };
  await alternate(context, 'g', {
    jobsystem: (rep) => toMb(drainJobsystem(context, { name: `g-jobsystem-${rep}`, jobs, section })),
    graphile: (rep) => toMb(drainGraphile(context, { name: `g-graphile-${rep}`, jobs, fastest: true })),
  }, result);
  return result;
}
