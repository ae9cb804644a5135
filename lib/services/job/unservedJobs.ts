import type { Config } from '../config/loadConfig.ts';
import { withDatabaseClient } from '../database/databaseClient.ts';
import { resolveDatabaseUrl } from '../database/databaseUrl.ts';
import type { Logger } from '../scripts/logger.ts';
import { BOARD_JOB_TYPE } from '../board/sql/boardRow.ts';
import { toError } from './interfaces/errors.ts';
import { findJobSourceInterface } from './sourceInterface.ts';
import { selectUnservedJobs } from './sql/selectUnservedJobs.ts';

/**
 * The job types some section of the config runs: every section with a source_interface, its
 * declared types (or, undeclared, the loaded source's). A section whose source cannot be
 * found is left out (its own run reports that) and named in unknownSources.
 */
export async function servedJobTypes(config: Config): Promise<{ types: string[]; unknownSources: string[] }> {
  const types = new Set<string>();
  const unknownSources: string[] = [];
  for (const name of config.sectionNames()) {
    const path = config.section(name).optional<string>('source_interface');
    if (!path) continue;
    try {
      const sourceInterface = await findJobSourceInterface(path);
      const declared = sourceInterface.declared?.jobTypes ?? (await sourceInterface.load()).jobTypes;
      for (const type of declared) types.add(type);
    } catch {
      unknownSources.push(name);
    }
  }
  return { types: [...types].sort(), unknownSources };
}

/**
 * Log a WARNING (which files an OOPS) for each job_type of WAITING jobs that no section of
 * the config runs: such jobs would otherwise wait forever in silence. Returns how many types.
 */
export async function warnAboutUnservedJobs(config: Config, logger: Logger): Promise<number> {
  const { types, unknownSources } = await servedJobTypes(config);
  const url = await resolveDatabaseUrl(config);
  let unserved;
  try {
    // Board jobs wait for the conductors of their board, not for a section.
    unserved = await withDatabaseClient(url, (client) => selectUnservedJobs(client, [...types, BOARD_JOB_TYPE]));
  } catch (error) {
    logger.info(`Could not look for jobs that no section runs: ${toError(error).message}`);
    return 0;
  }
  for (const { jobType, count, ids } of unserved) {
    const more = count > ids.length ? `, and ${count - ids.length} more` : '';
    const caveat = unknownSources.length > 0 ? ` (sections whose source could not be loaded: ${unknownSources.join(', ')})` : '';
    logger.warning(
      `${count} waiting job(s) of job_type ${jobType}, which no section of the config runs${caveat}, will never run: ids ${ids.join(', ')}${more}. ` +
        'Add a section whose source runs them, or fail or delete them.',
    );
  }
  return unserved.length;
}
