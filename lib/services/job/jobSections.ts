import { ConfigError } from '../config/errors.ts';
import type { Config } from '../config/loadConfig.ts';

/** The section every job section links to for its keys and defaults; not a job section itself. */
export const JOB_RUNNER_TEMPLATE = 'job_runner';

/** The job sections of a config: those that link to job_runner (they declare source_interface). */
export function jobSectionNames(config: Config): string[] {
  return config.sectionNames().filter((name) => name !== JOB_RUNNER_TEMPLATE && config.section(name).declares('source_interface'));
}

/** Refuse a name that is not a job section, saying which sections are. */
export function checkJobSection(config: Config, name: string): void {
  const jobSections = jobSectionNames(config);
  if (jobSections.includes(name)) return;
  const list = jobSections.join(', ') || 'none';
  if (!config.sections.has(name)) throw new ConfigError(`unknown config section [${name}] in ${config.file}; job sections: ${list}`);
  const known = `job sections in ${config.file}: ${list}`;
  const what = name === JOB_RUNNER_TEMPLATE ? 'the template that job sections link to' : 'not a job section';
  throw new ConfigError(`[${name}] is ${what}: a job section says "link: ${JOB_RUNNER_TEMPLATE}" and sets dbuser and source_interface (or tasks, for a multi-step job); ${known}`);
}
