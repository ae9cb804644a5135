import type { EntityManager } from 'typeorm';
import { SimpleJob } from '../lib/services/job/simpleJob.ts';
import { RECORD_START } from './latencyTable.ts';

/** Records its start in bench_latency (the server's clock_timestamp()), nothing else. */
export class LatencyJob extends SimpleJob {
  async run(manager: EntityManager): Promise<void> {
    await manager.query(RECORD_START, [this.payload.seq]);
  }
}
