// Case f: case c again with finished jobs kept as history. jobsystem keeps every finished job
// row, so its table holds 1,000,000 COMPLETED rows (one INSERT ... SELECT generate_series,
// timed) besides the queue. graphile-worker deletes a job when it completes, so it keeps no
// history; it runs its case c again, for reference.
import * as jobsystem from '../jobsystem.ts';
import { alternate, newSeries, scaled, type BenchContext, type CaseResult } from '../harness.ts';
import { drainGraphile, drainJobsystem } from './drain.ts';
import { GRAPHILE_FASTEST, type Tuning } from './fastest.ts';

export async function history(context: BenchContext, tuning: Tuning): Promise<CaseResult> {
  const jobs = scaled(context, 20_000);
  const historyRows = scaled(context, 1_000_000);
  const { section } = tuning.chosen;
  context.say(`  f inserting ${historyRows} COMPLETED rows into a template database...`);
  const { insertMs, vacuumMs } = await jobsystem.prepareHistoryTemplate(context.admin, historyRows);
  context.say(`  f history insert ${(insertMs / 1000).toFixed(1)} s, VACUUM ANALYZE ${(vacuumMs / 1000).toFixed(1)} s`);
  const result: CaseResult = {
    id: 'f',
    title: `case c with ${historyRows.toLocaleString('en-US')} finished jobs in the table`,
    unit: 'jobs/s',
    better: 'higher',
    jobs,
    jobsystem: newSeries(`cronscripts/run_jobs.ts ${section} (case c's choice) on a job table with ${historyRows} COMPLETED rows`),
    graphile: newSeries(`${GRAPHILE_FASTEST}; keeps no history (completed jobs are deleted), so this is its case c again`),
    notes: [
      `history insert (one INSERT ... SELECT generate_series of ${historyRows} rows): ${(insertMs / 1000).toFixed(1)} s, then VACUUM ANALYZE ${(vacuumMs / 1000).toFixed(1)} s; done once, each run copies that database.`,
    ],
    extra: { historyRows, historyInsertMs: insertMs, historyVacuumMs: vacuumMs },
  };
  await alternate(context, 'f', {
    jobsystem: (rep) => drainJobsystem(context, { name: `f-jobsystem-${rep}`, jobs, section, template: jobsystem.HISTORY_TEMPLATE, historyRows }),
    graphile: (rep) => drainGraphile(context, { name: `f-graphile-${rep}`, jobs, fastest: true }),
  }, result);
  return result;
}
