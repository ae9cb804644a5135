import type { DataSource } from 'typeorm';
import type { Config } from '../../config/loadConfig.ts';
import type { KnownResourceJob } from '../../resources/knownResourceJobs.ts';
import type { Logger } from '../../scripts/logger.ts';
import type { KnownTaskJob } from '../../tasks/knownTaskJobs.ts';

/** What the job routes (jobRoutes.ts, enqueueRoute.ts) are given by the server. */
export interface JobRoutesOptions {
  dataSource: DataSource;
  /** The instance config: its job sections say which job types are served (GET /job-types/unserved). */
  config: Config;
  /** [error_reports] error_dir: where GET /oops reads. */
  errorDir: string;
  /** The multi-step job names POST /jobs may create (knownTaskJobs of the config). */
  taskJobs: ReadonlyMap<string, KnownTaskJob>;
  /** The job classes on resources POST /jobs may enqueue (knownResourceJobs of the config). */
  resourceJobs: ReadonlyMap<string, KnownResourceJob>;
  /** The largest page of GET /jobs. */
  maxPageSize: number;
  logger: Logger;
}
