import { SimpleJob } from '../lib/services/job/simpleJob.ts';

export class NoopJob extends SimpleJob {
  async run(): Promise<void> {}
}
