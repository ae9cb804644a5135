// Case f: case c again with finished jobs kept as history. jobsystem keeps every finished job
// row, so its table holds 1,000,000 COMPLETED rows besides the queue, laid out as the job
// system leaves them (inserted WAITING, finished by an UPDATE, vacuumed; jobsystem.ts's
// HistoryLayout says why the layout matters). graphile-worker deletes a job when it completes, so it keeps no
// history; it runs its case c again, for reference. Each jobsystem repetition also runs case
// c's section on a table without history just before, so f/c compares runs made a few seconds
// apart: the machine's speed drifts over minutes (graphile-worker's f, the same work as its c,
// measured from 0.76 to 1.11 of its c in different runs), and the target is about history.
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
  const pairedShares: number[] = [];
  const withoutHistory: number[] = [];
  const result: CaseResult = {
    id: 'f',
    title: `case c with ${historyRows.toLocaleString('en-US')} finished jobs in the table`,
    unit: 'jobs/s',
    better: 'higher',
    jobs,
    jobsystem: newSeries(`cronscripts/run_jobs.ts ${section} (case c's choice) on a job table with ${historyRows} COMPLETED rows`),
    graphile: newSeries(`${GRAPHILE_FASTEST}; keeps no history (completed jobs are deleted), so this is its case c again`),
    notes: [
      `history (one INSERT ... SELECT generate_series of ${historyRows} WAITING rows, then one UPDATE to COMPLETED, as the runner leaves them): ${(insertMs / 1000).toFixed(1)} s, then VACUUM ANALYZE ${(vacuumMs / 1000).toFixed(1)} s; done once, each run copies that database.`,
    ],
    extra: { historyRows, historyInsertMs: insertMs, historyVacuumMs: vacuumMs, pairedShares, withoutHistory },
  };
  await alternate(context, 'f', {
    jobsystem: async (rep) => {
      const plain = await drainJobsystem(context, { name: `f-jobsystem-without-history-${rep}`, jobs, section });
      const withHistory = await drainJobsystem(context, { name: `f-jobsystem-${rep}`, jobs, section, template: jobsystem.HISTORY_TEMPLATE, historyRows });
      withoutHistory.push(Math.round(plain.value));
      pairedShares.push(withHistory.value / plain.value);
      context.say(`  f jobsystem rep ${rep} without history: ${plain.value.toFixed(0)}; paired f/c ${(withHistory.value / plain.value).toFixed(2)}`);
      return withHistory;
    },
    graphile: (rep) => drainGraphile(context, { name: `f-graphile-${rep}`, jobs, fastest: true }),
  }, result);
  result.notes.push(
    `each jobsystem repetition first ran the same section on a table without history: ${withoutHistory.map((value) => value.toLocaleString('en-US')).join(', ')} jobs/s; paired f/c: ${pairedShares.map((share) => share.toFixed(2)).join(', ')}. The target is judged on the median of the paired f/c.`,
  );
  return result;
}
