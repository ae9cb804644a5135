import type { EntityManager } from 'typeorm';
import type { Logger } from '../scripts/logger.ts';
import type { OopsReport } from '../oops/report.ts';
import type { ErrorClass, IRunnableJob } from './interfaces/job.ts';
import { statusTitle } from './interfaces/jobStatus.ts';
import type { Job } from './model/job.ts';

/** Where notifications go. The default writes log lines; replace it to send mail. */
export interface JobNotifier {
  oops(job: IRunnableJob, oops: OopsReport, logger: Logger): Promise<void>;
  userError(job: IRunnableJob, error: Error, logger: Logger): Promise<void>;
}

export const loggingNotifier: JobNotifier = {
  async oops(job, oops, logger) {
    logger.debug(`Notified of OOPS ${oops.id} for ${job.toString()}.`);
  },
  async userError(job, error, logger) {
    logger.info(`${job.toString()} failed for a user error: ${error.message}`);
  },
};

/** Defaults every job type shares (Launchpad's BaseRunnableJob). */
export abstract class BaseRunnableJob implements IRunnableJob {
  static notifier: JobNotifier = loggingNotifier;

  /**
   * How many times a retry error requeues a job of this class (Launchpad's max_retries).
   * Static because it is needed before there is an instance: create() (and createMany(),
   * acquire()) write it into the new job's `max_retries` column, and that column is what the
   * runner and the recovery of dead runners' jobs read. A job keeps the limit it was created
   * with; change queued jobs with `UPDATE job SET max_retries = ...`.
   */
  static maxRetries = 0;

  userErrorTypes: readonly ErrorClass[] = [];
  retryErrorTypes: readonly ErrorClass[] = [];
  retryDelayMs = 10 * 60 * 1000;
  /** A hard limit of one run, enforced only in a section with `isolated: true`. */
  timeoutMs?: number;

  abstract readonly job: Job;
  abstract run(manager: EntityManager): Promise<void>;

  /** This job's retry limit: its row's max_retries (the class's maxRetries when it was created).
   * An accessor, so that a subclass setting `maxRetries = 1` on the instance instead of
   * `static maxRetries = 1` is a type error rather than a setting that does nothing. */
  get maxRetries(): number {
    return this.job.maxRetries;
  }

  getOopsVars(): Array<[string, string]> {
    return [['job_id', String(this.job.id)], ['job_type', this.job.jobType], ['job_attempt', String(this.job.attemptCount)]];
  }

  getOperationDescription(): string {
    return `running ${this.constructor.name}`;
  }

  notifyOops(oops: OopsReport, logger: Logger): Promise<void> {
    return BaseRunnableJob.notifier.oops(this, oops, logger);
  }

  notifyUserError(error: Error, logger: Logger): Promise<void> {
    return BaseRunnableJob.notifier.userError(this, error, logger);
  }

  toString(): string {
    return `${this.constructor.name} (ID ${this.job.id})`;
  }

  /** "in status Waiting", for the runner's log line. */
  statusTitle(): string {
    return statusTitle(this.job.status);
  }
}
