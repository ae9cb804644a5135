// Case l: an empty cron minute of 10 job sections, in CPU seconds (user + system of the whole
// process tree, children included: GNU time counts the children a process waited for).
// jobsystem: one `process-job-source-groups.ts BENCH_EMPTY` run, which probes the 10 sections
// in one process and starts no run_jobs. graphile-worker: 10 `graphile-worker --once` runs,
// one per section as cron would start them, their CPU times summed.
import * as graphile from '../graphile.ts';
import * as jobsystem from '../jobsystem.ts';
import { checkExit, alternate, logFile, newSeries, type BenchContext, type CaseResult } from '../harness.ts';

export async function emptyCronMinute(context: BenchContext): Promise<CaseResult> {
  const sections = jobsystem.EMPTY_GROUP_SECTIONS.length;
  const result: CaseResult = {
    id: 'l',
    title: `an empty cron minute of ${sections} sections: CPU time`,
    unit: 'CPU s',
    better: 'lower',
    jobs: 0,
    jobsystem: newSeries(`cronscripts/process-job-source-groups.ts ${jobsystem.EMPTY_GROUP} (node, the compiled dist/ code; ${sections} sections of the group probed in one process, each as its role under its lock, no run_jobs started)`),
    graphile: newSeries(`${sections} × graphile-worker --once --jobs 1, one after another, CPU times summed`),
    notes: [],
  };
  const noCpu = () => new Error('CPU time not measured: /usr/bin/time (Debian package time) is needed');
  await alternate(context, 'l', {
    jobsystem: async (rep) => {
      const url = await jobsystem.databaseWithJobs(context.admin, 0);
      const run = await jobsystem.processGroups({ url, group: jobsystem.EMPTY_GROUP, logFile: logFile(context, `h-jobsystem-${rep}`), timeoutMs: context.timeoutMs });
      checkExit(run);
      if (run.cpuMs === null) throw noCpu();
      return { value: run.cpuMs / 1000, wallMs: run.wallMs, peakRssKb: run.peakRssKb, cpuMs: run.cpuMs };
    },
    graphile: async (rep) => {
      const url = await graphile.databaseWithJobs(context.admin, 0);
      let cpuMs = 0;
      let wallMs = 0;
      let peakRssKb = 0;
      for (let n = 1; n <= sections; n++) {
        const run = await graphile.runOnce({ url, jobs: 1, logFile: logFile(context, `h-graphile-${rep}-${n}`), timeoutMs: context.timeoutMs });
        checkExit(run);
        if (run.cpuMs === null) throw noCpu();
        cpuMs += run.cpuMs;
        wallMs += run.wallMs;
        peakRssKb = Math.max(peakRssKb, run.peakRssKb ?? 0);
      }
      return { value: cpuMs / 1000, wallMs, peakRssKb, cpuMs };
    },
  }, result);
  return result;
}
