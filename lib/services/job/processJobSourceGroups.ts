import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { CronScript, UsageError } from '../scripts/cronScript.ts';
import { describeGroups, runSections, selectSections } from './jobSourceGroups.ts';
import { warnAboutUnservedJobs } from './unservedJobs.ts';

/** Exit statuses above this are the ones every script shares (75, 130, 143). */
const MAX_FAILED_STATUS = 63;

/** Launchpad's process-job-source-groups: every job section of some crontab groups. */
export class ProcessJobSourceGroups extends CronScript {
  readonly scriptName = 'process-job-source-groups';
  private failedCount = 0;

  protected override usage(): string {
    return '$0 GROUP... [-e SECTION_OR_SOURCE]... [options]';
  }

  protected override description(): string {
    return [
      'Run every job section whose crontab_group is one of GROUP, one after another. Each is first',
      'probed in this one process (as its own dbuser, under its own lock file, one query): a',
      'section with no work is done there, and run_jobs.ts <section> is started only for a section',
      'that has work, is isolated, or cannot be probed here. Excluding sections (by section name, or by job source such as',
      'IDoFooJobSource) runs the others of a group; excluding all of them leaves nothing to do.',
      '',
      'Groups and their sections:',
      ...this.groupsOrProblem().split('; ').map((line) => `  ${line}`),
    ].join('\n');
  }

  protected override extraExitStatuses(): Array<[string, string]> {
    return [['N', `1-${MAX_FAILED_STATUS}: this many sections failed (a section whose lock is held is not)`]];
  }

  protected override usageErrorHint(): string {
    return `groups and their sections: ${this.groupsOrProblem()}`;
  }

  private groupsOrProblem(): string {
    try {
      return describeGroups(this.config);
    } catch (error) {
      return `(the config does not load: ${(error as Error).message})`;
    }
  }

  protected override defineOptions(argv: Argv): Argv {
    return argv
      .option('exclude', { alias: 'e', type: 'string', array: true, default: [], description: 'Skip this section or job source (e.g. IDoFooJobSource); repeatable' })
      .demandCommand(1, 'name at least one crontab group');
  }

  protected override checkInput(): void {
    const groups = this.args._.map(String);
    const unknown = selectSections(this.config, groups).unknownGroups;
    if (unknown.length) throw new UsageError(`no job section is in crontab group ${unknown.join(' or ')}`);
  }

  async main(): Promise<void> {
    const groups = this.args._.map(String);
    const { sections, notInGroups } = selectSections(this.config, groups, this.args.exclude as string[]);
    for (const name of notInGroups) this.logger.info(`'${name}' is not in ${groups.join(', ')}`);
    if (sections.length === 0) {
      this.logger.info(`Nothing to do: every section of ${groups.join(', ')} is excluded.`);
      return;
    }
    const passArgs = [...(this.args['lock-dir'] ? ['--lock-dir', this.args['lock-dir']] : []), ...Array(this.args.verbose).fill('-v'), ...Array(this.args.quiet).fill('-q')];
    const run = await runSections(this.config, sections, { passArgs, lockDir: dirname(this.lockFilePath()), logger: this.logger });
    this.failedCount = run.failed;
    this.logger.info(`Ran ${sections.length} job sources; ${this.failedCount} failed.`);
    this.logger.info(`Started ${run.started} run_jobs process(es); ${run.empty} job source(s) had nothing to do.`);
    // Once per run, not per section: jobs whose job_type no section of the config runs.
    await warnAboutUnservedJobs(this.config, this.logger);
  }

  protected override exitStatusAfterMain(): number {
    return Math.min(this.failedCount, MAX_FAILED_STATUS);
  }
}
