import { spawn } from 'node:child_process';
import type { Config } from '../config/loadConfig.ts';
import { fromRoot } from '../paths.ts';
import { ExitStatus } from '../scripts/exitStatus.ts';
import type { Logger } from '../scripts/logger.ts';
import { GroupSectionProbes } from './groupSectionProbes.ts';
import { jobSectionNames } from './jobSections.ts';

/** Every crontab group and its job sections, groups in name order, sections in config order. */
export function jobSectionsByGroup(config: Config): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const name of jobSectionNames(config)) {
    const group = config.section(name).optional<string>('crontab_group');
    if (group === undefined) continue;
    groups.set(group, [...(groups.get(group) ?? []), name]);
  }
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

/** `MAIN: do_foo; NIGHTLY: first_ok, second_broken`, for messages and --help. */
export function describeGroups(config: Config): string {
  const groups = [...jobSectionsByGroup(config)];
  return groups.length ? groups.map(([group, sections]) => `${group}: ${sections.join(', ')}`).join('; ') : 'none';
}

/** The last part of a section's source_interface: `IDoFooJobSource`. */
function sourceName(config: Config, section: string): string | undefined {
  return config.section(section).optional<string>('source_interface')?.split('.').at(-1);
}

export interface GroupSelection {
  /** The job sections to run, in config order. */
  sections: string[];
  /** Excluded names that name no section of the groups (Launchpad logs each, then goes on). */
  notInGroups: string[];
  /** Groups that have no job section at all. */
  unknownGroups: string[];
}

/**
 * The job sections whose crontab_group is one of `groups`, less those excluded by section
 * name or by the last part of their source_interface (Launchpad's -e JOB_SOURCE).
 */
export function selectSections(config: Config, groups: readonly string[], exclude: readonly string[] = []): GroupSelection {
  const byGroup = jobSectionsByGroup(config);
  const selected = new Set(groups.flatMap((group) => byGroup.get(group) ?? []));
  const notInGroups: string[] = [];
  for (const name of exclude) {
    const matching = [...selected].filter((section) => section === name || sourceName(config, section) === name);
    if (matching.length === 0) notInGroups.push(name);
    for (const section of matching) selected.delete(section);
  }
  return {
    sections: jobSectionNames(config).filter((name) => selected.has(name)),
    notInGroups,
    unknownGroups: groups.filter((group) => !byGroup.has(group)),
  };
}

/** The sections selectSections() would run. */
export function sectionsInGroups(config: Config, groups: readonly string[], exclude: readonly string[] = []): string[] {
  return selectSections(config, groups, exclude).sections;
}

export interface SectionsRun {
  /** Sections whose run failed (a non-zero exit status but the lock-busy one). */
  failed: number;
  /** run_jobs processes started. */
  started: number;
  /** Sections found empty by the probe in this process (no process started). */
  empty: number;
}

/**
 * Run the sections one after another, in one process: each is probed here (GroupSectionProbes:
 * its login, role and lock, one query) and `run_jobs.ts <section>` is started only for a
 * section that has work, asks for isolation, or cannot be probed here.
 */
export async function runSections(config: Config, sections: readonly string[], options: { passArgs: readonly string[]; lockDir: string; logger: Logger }): Promise<SectionsRun> {
  const { logger } = options;
  const probes = new GroupSectionProbes(config, options.lockDir, logger);
  const counts: SectionsRun = { failed: 0, started: 0, empty: 0 };
  try {
    for (const section of sections) {
      logger.info(`Running job source ${section}.`);
      const outcome = await probes.probe(section);
      if (!outcome.run) {
        if (outcome.why === 'empty') counts.empty += 1;
        if (outcome.why === 'busy') logger.info(`Job source ${section} is still running from an earlier start; skipped.`);
        continue;
      }
      counts.started += 1;
      const status = await runJobsProcess(section, options.passArgs);
      if (status === ExitStatus.LOCK_BUSY) {
        // Still running from an earlier start: not a failure, its run goes on.
        logger.info(`Job source ${section} is still running from an earlier start; skipped.`);
      } else if (status !== 0) {
        counts.failed += 1;
        logger.info(`Job source ${section} ended with exit status ${status}.`);
      }
    }
  } finally {
    await probes.close();
  }
  return counts;
}

/** `run_jobs.ts <section>`, its output this process's; resolves to its exit status. */
function runJobsProcess(section: string, passArgs: readonly string[]): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = spawn(fromRoot('cronscripts/run_jobs.ts'), [section, ...passArgs], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => resolve(1));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
