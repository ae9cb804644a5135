import type pg from 'pg';
import type { Config } from '../config/loadConfig.ts';
import { servedJobTypes } from '../job/unservedJobs.ts';
import { selectUnservedJobs, type UnservedJobs } from '../job/sql/selectUnservedJobs.ts';

export interface UnservedReport {
  /** Per job type that no section of the config runs: how many jobs wait, and the oldest ids. */
  jobTypes: UnservedJobs[];
  /** The job types the config's sections run. */
  servedTypes: string[];
  /** Sections whose job source could not be loaded (their types may be missing above). */
  unknownSources: string[];
}

/** The WAITING jobs whose job_type no section of `config` runs, by type (the runners' warning, as data). */
export async function unservedJobTypes(client: pg.ClientBase, config: Config, idLimit = 10): Promise<UnservedReport> {
  const { types, unknownSources } = await servedJobTypes(config);
  return { jobTypes: await selectUnservedJobs(client, types, idLimit), servedTypes: types, unknownSources };
}
