// The latency cases' job type for jobsystem: it records when it started (bench/latencyJobClass.ts).
import { defineJobSource } from '../lib/services/job/sourceInterface.ts';

/** source_interface: bench.latencyJob.ILatencyJobSource */
export const ILatencyJobSource = defineJobSource(
  'ILatencyJobSource',
  async () => (await import('./latencyJobClass.ts')).LatencyJob,
  { jobTypes: ['LatencyJob'], jobName: 'LatencyJob' },
);
