import type { Argv } from 'yargs';
import { parseValue } from '../config/datatypes.ts';
import { withDatabaseClient } from '../database/databaseClient.ts';
import { resolveDatabase } from '../database/databaseUrl.ts';
import { requireCurrentSchema } from '../database/requireCurrentSchema.ts';
import { CronScript, UsageError } from '../scripts/cronScript.ts';
import { pruneJobs } from './pruneJobs.ts';

/**
 * `cronscripts/delete_old_jobs.ts [--older-than 24h]`: deletes COMPLETED and FAILED jobs
 * (and their domain rows) older than the given duration, in batches, and logs how many. It
 * runs as the database URL's login user, which must be allowed to delete from job and every
 * domain job table.
 */
export class DeleteOldJobsScript extends CronScript {
  readonly scriptName = 'delete_old_jobs';
  /** A progress line at most this often on long runs (tests set 0: one line per batch). */
  progressIntervalMs = 10_000;

  protected override usage(): string {
    return '$0 [--older-than 24h]';
  }

  protected override description(): string {
    return 'Delete COMPLETED and FAILED jobs (with their domain rows) created and finished longer ago than --older-than. WAITING, RUNNING and SUSPENDED jobs are never deleted.';
  }

  protected override defineOptions(argv: Argv): Argv {
    return argv
      .option('older-than', { type: 'string', default: '24h', description: 'Keep finished jobs this recent: a duration such as 30m, 24h or 7d' })
      .option('batch-size', { type: 'number', default: 1000, description: 'Jobs deleted per statement (each its own transaction)' });
  }

  /** --older-than in milliseconds; a UsageError (exit 2) when it is not a duration. */
  get olderThanMs(): number {
    const raw = String(this.args['older-than']);
    const value = parseValue('duration', raw);
    if (typeof value !== 'number') throw new UsageError(`--older-than: '${raw}' is not a duration such as 30m, 24h or 7d`);
    return value;
  }

  get batchSize(): number {
    const value = this.args['batch-size'];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new UsageError(`--batch-size: '${String(value)}' is not a positive integer`);
    return value;
  }

  override async main(): Promise<void> {
    // Bad input is refused before the database is touched.
    const olderThanMs = this.olderThanMs;
    const batchSize = this.batchSize;
    const database = await resolveDatabase(this.config);
    const stopSignals = this.handleStopSignals();
    try {
      let lastProgress = performance.now();
      const result = await withDatabaseClient(database.url, async (client) => {
        await requireCurrentSchema(client, database);
        return pruneJobs(client, {
          olderThanMs,
          batchSize,
          shouldStop: () => this.interruptedBy !== undefined,
          onBatch: (deletedSoFar) => {
            const now = performance.now();
            if (now - lastProgress >= this.progressIntervalMs) {
              lastProgress = now;
              this.logger.info(`Deleted ${deletedSoFar} jobs so far.`);
            } else {
              this.logger.debug(`Deleted ${deletedSoFar} jobs so far.`);
            }
          },
        });
      }, database.pooler);
      const what = `COMPLETED or FAILED ${result.deleted === 1 ? 'job' : 'jobs'} older than ${result.cutoff.toISOString()}`;
      if (result.stopped) {
        this.logger.info(`Received ${this.interruptedBy}: stopped after deleting ${result.deleted} ${what}.`);
      } else {
        this.logger.info(`Deleted ${result.deleted} ${what}.`);
      }
    } finally {
      stopSignals.remove();
    }
  }

  /** SIGTERM or SIGINT: finish the current batch (its own transaction), then stop. */
  private handleStopSignals(): { remove(): void } {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.interruptedBy) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      this.interruptedBy = signal;
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    return {
      remove: () => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      },
    };
  }
}
