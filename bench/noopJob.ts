// The bench's job type for jobsystem: a SimpleJob that does nothing, so a run measures the
// job system's own cost (claim, transaction, status change) and nothing else. The class is in
// noopJobClass.ts, loaded only when a run has jobs, as lib/component/foo does it.
import { defineJobSource } from '../lib/services/job/sourceInterface.ts';

/** source_interface: bench.noopJob.INoopJobSource */
export const INoopJobSource = defineJobSource(
  'INoopJobSource',
  async () => (await import('./noopJobClass.ts')).NoopJob,
  { jobTypes: ['NoopJob'], jobName: 'NoopJob' },
);
