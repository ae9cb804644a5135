import type { Config } from '../config/loadConfig.ts';
import { loadConfiguredSources } from '../job/configuredSources.ts';
import { sectionQueues } from '../job/sectionQueues.ts';
import type { Logger } from '../scripts/logger.ts';
import { isTaskJobSet, type TaskJobSet } from './taskJobs.ts';

/** A job name a config can run: the set that defines it and the job sections that run it. */
export interface KnownTaskJob {
  name: string;
  jobs: TaskJobSet;
  /** Every job section that runs it (at least one), with the queues each serves. */
  servedBy: Array<{ section: string; queues: string[] }>;
}

/**
 * The multi-step job names of a config: those of every job section that names its tasks
 * (`tasks:`, the section's name is the job name) or whose source_interface loads a set made
 * with defineTaskJobs(). A name no section runs would never run, so it is
 * not offered. A section whose source cannot be loaded is skipped (run_jobs reports it).
 */
export async function knownTaskJobs(config: Config, logger?: Logger): Promise<Map<string, KnownTaskJob>> {
  const known = new Map<string, KnownTaskJob>();
  // A declared source that runs none of its types as task jobs is loaded for nothing, but the
  // declaration does not say what kind of source it is.
  for (const { section, source } of await loadConfiguredSources(config, logger)) {
    if (!isTaskJobSet(source)) continue;
    const queues = sectionQueues(config.section(section));
    for (const name of source.names) {
      const entry = known.get(name) ?? { name, jobs: source, servedBy: [] };
      entry.servedBy.push({ section, queues });
      known.set(name, entry);
    }
  }
  return known;
}
