import type { Config } from '../config/loadConfig.ts';
import { jobSectionNames } from '../job/jobSections.ts';
import { findJobSourceInterface } from '../job/sourceInterface.ts';
import { toError } from '../job/interfaces/errors.ts';
import type { Logger } from '../scripts/logger.ts';
import { isTaskJobSet, type TaskJobSet } from './taskJobs.ts';
import { isTaskSection, taskSectionSourceInterface } from './taskSection.ts';

/** A job name a config can run: the set that defines it and the job section that runs it. */
export interface KnownTaskJob {
  name: string;
  jobs: TaskJobSet;
  section: string;
}

/**
 * The multi-step job names of a config: those of every job section that names its tasks
 * (`tasks:`, the section's name is the job name) or whose source_interface loads a set made
 * with defineTaskJobs(). A name no section runs would never run, so it is
 * not offered. A section whose source cannot be loaded is skipped (run_jobs reports it).
 */
export async function knownTaskJobs(config: Config, logger?: Logger): Promise<Map<string, KnownTaskJob>> {
  const known = new Map<string, KnownTaskJob>();
  for (const section of jobSectionNames(config)) {
    const keys = config.section(section);
    const path = keys.optional<string>('source_interface');
    if (!path && !isTaskSection(keys)) continue;
    try {
      const sourceInterface = isTaskSection(keys) ? taskSectionSourceInterface(section, keys) : await findJobSourceInterface(path!);
      // A declared source that runs none of its types as task jobs would be loaded for nothing,
      // but the declaration does not say what kind of source it is: load it.
      const source = await sourceInterface.load();
      if (!isTaskJobSet(source)) continue;
      for (const name of source.names) if (!known.has(name)) known.set(name, { name, jobs: source, section });
    } catch (thrown) {
      logger?.debug(`[${section}]: its job source could not be loaded (${toError(thrown).message}); skipped.`);
    }
  }
  return known;
}
