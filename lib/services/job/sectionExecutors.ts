import type { ConfigSection } from '../config/loadConfig.ts';
import type { SectionLogin } from '../database/sectionLogin.ts';
import { IsolatedExecutor } from './isolatedWorkers.ts';
import type { JobExecutor, JobRunnerOptions } from './runner.ts';

/**
 * The executors of a job section's runner, for run_jobs and the worker alike: with
 * `isolated: true`, a pool of worker processes for every job; and in any case one for
 * suspects (jobs a runner died holding), which run one at a time in a worker process of their
 * own, started only if there is one, so a job that kills its process takes nothing else down.
 */
export function sectionExecutors(section: ConfigSection, login: SectionLogin, errorReports: ConfigSection, reporter: string): { executor?: JobExecutor; suspectExecutor?: JobExecutor } {
  const sourcePath = section.optional<string>('source_interface');
  const isolatedExecutor = () =>
    new IsolatedExecutor({
      sourceInterface: sourcePath!,
      databaseUrl: login.url,
      role: login.role,
      pooler: login.pooler ?? 'none',
      errorDir: errorReports.string('error_dir'),
      reporter,
      timeoutMs: section.duration('job_timeout'),
      memoryLimitMb: section.integer('memory_limit'),
    });
  const executor = section.boolean('isolated') ? isolatedExecutor() : undefined;
  return { executor, suspectExecutor: executor ?? (sourcePath ? isolatedExecutor() : undefined) };
}

/** What a section's runner is made with, for run_jobs and the worker alike: the section's
 * batch_size, lease_duration and concurrency, its executors, and the queues it serves. */
export function sectionRunnerOptions(section: ConfigSection, executors: { executor?: JobExecutor; suspectExecutor?: JobExecutor }, fileOops: JobRunnerOptions['fileOops'], queues: readonly string[]): Omit<JobRunnerOptions, 'dataSource' | 'logger'> {
  return {
    fileOops,
    batchSize: section.integer('batch_size'),
    leaseMs: section.duration('lease_duration'),
    concurrency: section.integer('concurrency'),
    executor: executors.executor,
    suspectExecutor: executors.suspectExecutor,
    exitOnCrash: true,
    maxRecordedJobs: 1000,
    queues: [...queues],
  };
}
