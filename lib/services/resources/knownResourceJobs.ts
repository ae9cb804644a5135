import type { Config } from '../config/loadConfig.ts';
import { loadConfiguredSources } from '../job/configuredSources.ts';
import type { Logger } from '../scripts/logger.ts';
import type { ResourceJobClass } from './resourceJob.ts';
import { isResourceJobSource } from './resourceJobSource.ts';

/** A job on a resource that a config can run: its class and the job section that runs it. */
export interface KnownResourceJob {
  name: string;
  jobClass: ResourceJobClass;
  section: string;
}

/**
 * The resource job classes of a config, by job type: those of every job section whose
 * source_interface loads a ResourceJobSource (defineResourceJobs()). Loading them registers
 * their resource types too (a type registers when its module loads), so the API can read
 * those resources. A class no section runs is not offered: its jobs would never run.
 */
export async function knownResourceJobs(config: Config, logger?: Logger): Promise<Map<string, KnownResourceJob>> {
  const known = new Map<string, KnownResourceJob>();
  for (const { section, source } of await loadConfiguredSources(config, logger)) {
    if (!isResourceJobSource(source)) continue;
    for (const jobClass of source.jobClasses) if (!known.has(jobClass.name)) known.set(jobClass.name, { name: jobClass.name, jobClass, section });
  }
  return known;
}
