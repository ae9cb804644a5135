// Case a: a run over an empty queue, process start to exit (what cron pays every minute
// when there is nothing to do).
import * as graphile from '../graphile.ts';
import * as jobsystem from '../jobsystem.ts';
import { fromRoot } from '../../lib/services/paths.ts';
import { alternate, checkExit, logFile, newSeries, type BenchContext, type CaseResult } from '../harness.ts';
import { runProcess } from '../process.ts';
import { median } from '../summary.ts';

// What any run_jobs start-up pays before its own code: node, and importing the packages the
// cron scripts are built on (pg, winston, yargs, ini) and nothing else. Measured in the same
// repetitions as the case, because the machine's speed drifts between runs of the bench.
const FLOOR_SCRIPT = `await Promise.all(['pg', 'winston', 'yargs', 'ini'].map((name) => import(name)))`;

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
  const floor: number[] = [];
  const bareNode: number[] = [];
  const timeNode = async (args: string[], name: string) => {
    const run = await runProcess(process.execPath, args, { cwd: fromRoot('.'), env: process.env, logFile: logFile(context, name), timeoutMs: context.timeoutMs });
    checkExit(run);
    return run.wallMs;
  };
  await alternate(context, 'a', {
    jobsystem: async (rep) => {
      const url = await jobsystem.databaseWithJobs(context.admin, 0);
      const run = await jobsystem.runJobs({ url, section: jobsystem.DEFAULT_SECTION, logFile: logFile(context, `a-jobsystem-${rep}`), timeoutMs: context.timeoutMs });
      checkExit(run);
      floor.push(await timeNode(['--input-type=module', '-e', FLOOR_SCRIPT], `a-floor-${rep}`));
      bareNode.push(await timeNode(['-e', '0'], `a-node-${rep}`));
      return { value: run.wallMs, wallMs: run.wallMs, peakRssKb: run.peakRssKb, cpuMs: run.cpuMs };
    },
    graphile: async (rep) => {
      const url = await graphile.databaseWithJobs(context.admin, 0);
      const run = await graphile.runOnce({ url, jobs: 1, logFile: logFile(context, `a-graphile-${rep}`), timeoutMs: context.timeoutMs });
      checkExit(run);
      return { value: run.wallMs, wallMs: run.wallMs, peakRssKb: run.peakRssKb, cpuMs: run.cpuMs };
    },
  }, result);
  const ms = (values: number[]) => `${Math.round(median(values) ?? NaN)} ms`;
  result.notes.push(
    `start-up floor, measured in the same repetitions: \`node --input-type=module -e "${FLOOR_SCRIPT}"\` ${ms(floor)} (median; runs ${floor.map((value) => Math.round(value)).join(', ')} ms); \`node -e 0\` ${ms(bareNode)}.`,
  );
  result.extra = { floorMs: floor, bareNodeMs: bareNode };
  return result;
}
