import type { Config } from '../config/loadConfig.ts';
import type { Logger } from '../scripts/logger.ts';
import { isTaskSection, taskSectionSourceInterface } from '../tasks/taskSection.ts';
import { toError } from './interfaces/errors.ts';
import { jobSectionNames } from './jobSections.ts';
import { findJobSourceInterface } from './sourceInterface.ts';

/** A job section of a config and the job source it runs, loaded. */
export interface ConfiguredSource {
  section: string;
  source: unknown;
}

/**
 * The job source of every job section of a config that names one (`source_interface:`, or
 * `tasks:` for a multi-step job section), loaded, in the config's order. What kind of source
 * each is, the caller decides (task jobs for create_job, resource jobs for the API). A
 * section whose source cannot be loaded is skipped with a debug line (run_jobs reports it).
 */
export async function loadConfiguredSources(config: Config, logger?: Logger): Promise<ConfiguredSource[]> {
  const loaded: ConfiguredSource[] = [];
  for (const section of jobSectionNames(config)) {
    const keys = config.section(section);
    const path = keys.optional<string>('source_interface');
    if (!path && !isTaskSection(keys)) continue;
    try {
      const sourceInterface = isTaskSection(keys) ? taskSectionSourceInterface(section, keys) : await findJobSourceInterface(path!);
      loaded.push({ section, source: await sourceInterface.load() });
    } catch (thrown) {
      logger?.debug(`[${section}]: its job source could not be loaded (${toError(thrown).message}); skipped.`);
    }
  }
  return loaded;
}
