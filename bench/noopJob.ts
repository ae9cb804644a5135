// The bench's job type for jobsystem: a SimpleJob that does nothing, so a run measures the
// job system's own cost (claim, transaction, status change) and nothing else.
import { SimpleJob } from '../lib/services/job/simpleJob.ts';
import { defineJobSource } from '../lib/services/job/sourceInterface.ts';

export class NoopJob extends SimpleJob {
  async run(): Promise<void> {}
}

/** source_interface: bench.noopJob.INoopJobSource */
export const INoopJobSource = defineJobSource('INoopJobSource', async () => NoopJob);
