import { spawn } from 'node:child_process';
import type { Config } from '../config/loadConfig.ts';
import { fromRoot } from '../paths.ts';
import type { Logger } from '../scripts/logger.ts';

/** The job sections (those with a source_interface) whose crontab_group is one of `groups`,
 * less those excluded by section name or by the last part of their source_interface. */
export function sectionsInGroups(config: Config, groups: readonly string[], exclude: readonly string[] = []): string[] {
  const wanted = new Set(groups);
  const excluded = new Set(exclude);
  return config.sectionNames().filter((name) => {
    const section = config.section(name);
    const source = section.optional<string>('source_interface');
    if (!source || !section.has('crontab_group')) return false;
    if (!wanted.has(section.string('crontab_group'))) return false;
    return !excluded.has(name) && !excluded.has(source.split('.').at(-1)!);
  });
}

/** Run `run_jobs.ts <section>` for each section, one after another; returns how many failed. */
export async function runSections(sections: readonly string[], passArgs: readonly string[], logger: Logger): Promise<number> {
  let failed = 0;
  for (const section of sections) {
    logger.info(`Running job source ${section}.`);
    const status = await new Promise<number>((resolve) => {
      const child = spawn(fromRoot('cronscripts/run_jobs.ts'), [section, ...passArgs], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', () => resolve(1));
      child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
    if (status !== 0) {
      failed += 1;
      logger.info(`Job source ${section} ended with exit status ${status}.`);
    }
  }
  return failed;
}
