// Case c: the fastest configuration of each project. graphile-worker: its published one.
// jobsystem: every candidate section of FAST_CANDIDATES is tried once, the fastest is used.
import { FAST_CANDIDATES, type FastCandidate } from '../jobsystem.ts';
import { alternate, newSeries, scaled, type BenchContext, type CaseResult } from '../harness.ts';
import { drainGraphile, drainJobsystem } from './drain.ts';

export const GRAPHILE_FASTEST = 'graphile-worker --once --config bench/graphile/fastest.config.cjs (concurrentJobs 24, maxPoolSize 25, localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0)';

export interface Tuning {
  candidates: Array<FastCandidate & { jobsPerSecond: number | null; error?: string }>;
  chosen: FastCandidate;
}

/** Try each candidate once on `jobs` jobs; the fastest wins. */
export async function tuneJobsystem(context: BenchContext, jobs: number): Promise<Tuning> {
  const candidates: Tuning['candidates'] = [];
  for (const candidate of FAST_CANDIDATES) {
    try {
      const sample = await drainJobsystem(context, { name: `c-tune-${candidate.section}`, jobs, section: candidate.section });
      candidates.push({ ...candidate, jobsPerSecond: sample.value });
      context.say(`  c tuning ${candidate.section}: ${sample.value.toFixed(0)} jobs/s`);
    } catch (error) {
      candidates.push({ ...candidate, jobsPerSecond: null, error: (error as Error).message });
      context.say(`  c tuning ${candidate.section}: FAILED: ${(error as Error).message}`);
    }
  }
  const best = candidates.filter((c) => c.jobsPerSecond !== null).sort((a, b) => b.jobsPerSecond! - a.jobsPerSecond!)[0];
  const chosen = best ?? FAST_CANDIDATES[0]!;
  return { candidates, chosen: { section: chosen.section, batchSize: chosen.batchSize, concurrency: chosen.concurrency } };
}

export async function fastest(context: BenchContext): Promise<{ result: CaseResult; tuning: Tuning }> {
  const jobs = scaled(context, 20_000);
  const tuning = await tuneJobsystem(context, jobs);
  const { section, batchSize, concurrency } = tuning.chosen;
  const result: CaseResult = {
    id: 'c',
    title: 'fastest configuration of each, one process',
    unit: 'jobs/s',
    better: 'higher',
    jobs,
    jobsystem: newSeries(`cronscripts/run_jobs.ts ${section} (batch_size ${batchSize}, concurrency ${concurrency}: the fastest of ${FAST_CANDIDATES.length} candidates tried once each)`),
    graphile: newSeries(GRAPHILE_FASTEST),
    notes: [],
    extra: { tuning },
  };
  await alternate(context, 'c', {
    jobsystem: (rep) => drainJobsystem(context, { name: `c-jobsystem-${rep}`, jobs, section }),
    graphile: (rep) => drainGraphile(context, { name: `c-graphile-${rep}`, jobs, fastest: true }),
  }, result);
  return { result, tuning };
}
