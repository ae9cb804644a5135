// Case a: a run over an empty queue, process start to exit (what cron pays every minute
// when there is nothing to do).
import * as graphile from '../graphile.ts';
import * as jobsystem from '../jobsystem.ts';
import { alternate, checkExit, logFile, newSeries, type BenchContext, type CaseResult } from '../harness.ts';

export async function emptyQueue(context: BenchContext): Promise<CaseResult> {
  const result: CaseResult = {
    id: 'a',
    title: 'empty queue: process start to exit',
    unit: 'ms',
    better: 'lower',
    jobs: 0,
    jobsystem: newSeries(`cronscripts/run_jobs.ts ${jobsystem.DEFAULT_SECTION} (node, the compiled dist/ code; schema check and one probe on one connection; neither the job source nor TypeORM is loaded)`),
    graphile: newSeries('graphile-worker --once --jobs 1 (its CLI; migration check, task directory load, one fetch)'),
    notes: [],
  };
  await alternate(context, 'a', {
    jobsystem: async (rep) => {
      const url = await jobsystem.databaseWithJobs(context.admin, 0);
      const run = await jobsystem.runJobs({ url, section: jobsystem.DEFAULT_SECTION, logFile: logFile(context, `a-jobsystem-${rep}`), timeoutMs: context.timeoutMs });
      checkExit(run);
      return { value: run.wallMs, wallMs: run.wallMs, peakRssKb: run.peakRssKb, cpuMs: run.cpuMs };
    },
    graphile: async (rep) => {
      const url = await graphile.databaseWithJobs(context.admin, 0);
      const run = await graphile.runOnce({ url, jobs: 1, logFile: logFile(context, `a-graphile-${rep}`), timeoutMs: context.timeoutMs });
      checkExit(run);
      return { value: run.wallMs, wallMs: run.wallMs, peakRssKb: run.peakRssKb, cpuMs: run.cpuMs };
    },
  }, result);
  return result;
}
