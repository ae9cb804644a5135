import type { DataSource, EntityManager } from 'typeorm';
import type { IRunnableJob } from './interfaces/job.ts';
import { finishJob, type FailureRecord } from './sql/finishJob.ts';

/**
 * Mark a job FAILED (with why). A job with a failure hook (IRunnableJob.beforeFailed: a
 * multi-step job's onFailure) runs it first in the same transaction, so that what the hook
 * writes commits with FAILED or not at all; given a manager outside a transaction (the
 * runner's autocommit target), one is opened for the two. `held` is false when `owner` no
 * longer holds the job; `hookError` is the error of a hook that threw (its writes rolled back).
 */
export async function failJobWithHook(dataSource: DataSource, manager: EntityManager, job: IRunnableJob, owner: string, error: Error, failure: FailureRecord): Promise<{ held: boolean; hookError?: Error }> {
  const hook = job.beforeFailed?.bind(job);
  if (!hook) return { held: await finishJob(manager, job.job.id, owner, 'FAILED', failure) };
  const work = async (inTransaction: EntityManager) => {
    const hookError = await hook(inTransaction, owner, error);
    return { held: await finishJob(inTransaction, job.job.id, owner, 'FAILED', failure), hookError };
  };
  return manager.queryRunner?.isTransactionActive ? work(manager) : dataSource.transaction(work);
}
