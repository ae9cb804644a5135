import type { Argv } from 'yargs';
import { CronScript } from '../scripts/cronScript.ts';
import { UsageError } from '../scripts/cronScript.ts';
import { runSections, sectionsInGroups } from './jobSourceGroups.ts';
import { warnAboutUnservedJobs } from './unservedJobs.ts';

/** Launchpad's process-job-source-groups: every job section of some crontab groups. */
export class ProcessJobSourceGroups extends CronScript {
  readonly scriptName = 'process-job-source-groups';
  private failedCount = 0;

  protected override defineOptions(argv: Argv): Argv {
    return argv
      .usage('$0 GROUP... [-e SOURCE]...\n\nRun every job section whose crontab_group is one of GROUP, one after another.\nThe exit status is the number of sections that failed.')
      .option('exclude', { alias: 'e', type: 'string', array: true, default: [], description: 'Skip this section or job source (e.g. IDoFooJobSource); repeatable' })
      .demandCommand(1, 'name at least one crontab group, e.g. MAIN');
  }

  async main(): Promise<void> {
    const groups = this.args._.map(String);
    const sections = sectionsInGroups(this.config, groups, this.args.exclude as string[]);
    if (sections.length === 0) throw new UsageError(`no job section is in crontab group ${groups.join(' or ')}`);
    const passArgs = [...(this.args['lock-dir'] ? ['--lock-dir', this.args['lock-dir']] : []), ...Array(this.args.verbose).fill('-v'), ...Array(this.args.quiet).fill('-q')];
    this.failedCount = await runSections(sections, passArgs, this.logger);
    this.logger.info(`Ran ${sections.length} job sources; ${this.failedCount} failed.`);
    // Once per run, not per section: jobs whose job_type no section of the config runs.
    await warnAboutUnservedJobs(this.config, this.logger);
  }

  protected override exitStatusAfterMain(): number {
    return Math.min(this.failedCount, 125);
  }
}
