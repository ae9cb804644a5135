import type { Argv } from 'yargs';
import { setRole, withDatabaseClient } from '../database/databaseClient.ts';
import { resolveDatabase } from '../database/databaseUrl.ts';
import { checkRoleName } from '../database/roleName.ts';
import { sectionLogin } from '../database/sectionLogin.ts';
import { CronScript, UsageError, type CronScriptOptions } from '../scripts/cronScript.ts';
import { handleStopSignals } from '../scripts/stopSignals.ts';
import type { JobRunner } from './runner.ts';
import type { JobSourceInterface } from './sourceInterface.ts';
import { ensureSchemaCurrent, sectionHasWork, sectionSourceInterface } from './sectionProbe.ts';
import { checkJobSection, jobSectionNames } from './jobSections.ts';
import { sectionQueues } from './sectionQueues.ts';

export interface JobCronScriptOptions extends CronScriptOptions {
  /** Take the config section from the command line (`run_jobs.ts do_foo`). */
  commandlineConfig?: boolean;
}

/**
 * Runs every ready job of one job source, once (Launchpad's JobCronScript). The config
 * section gives the database role (`dbuser`) and the source (`source_interface`).
 * `cronscripts/run_jobs.ts <section>` uses it with commandlineConfig; a custom script
 * subclasses it and sets configName and sourceInterface.
 */
export class JobCronScript extends CronScript {
  readonly scriptName: string = 'run_jobs';
  /** The config section, for subclasses that do not take it from the command line. */
  configName: string | undefined;
  /** The job source, for subclasses; otherwise the section's source_interface. */
  sourceInterface: JobSourceInterface | undefined;
  readonly commandlineConfig: boolean;
  /** The runner of the last main(), for tests and callers that look at outcomes. */
  runner: JobRunner | undefined;

  constructor(options: JobCronScriptOptions = {}) {
    super(options);
    this.commandlineConfig = options.commandlineConfig ?? false;
  }

  protected override usage(): string {
    return this.commandlineConfig ? '$0 <section> [options]' : '$0 [options]';
  }

  protected override description(): string {
    if (this.commandlineConfig) {
      return 'Run every ready job of the job source named by a job section of the config (its dbuser and source_interface), once.';
    }
    const source = this.sourceInterface ? this.sourceInterface.name : 'the job source';
    const section = this.configName ?? '?';
    return `Run every ready job of ${source} once, as config section [${section}] says.\nIts lock file is <lock_dir>/${section}.lock.`;
  }

  protected override usageErrorHint(): string {
    if (!this.commandlineConfig) return '';
    try {
      return `job sections: ${jobSectionNames(this.config).join(', ') || 'none'}`;
    } catch {
      return '';
    }
  }

  protected override defineOptions(argv: Argv): Argv {
    if (!this.commandlineConfig) return argv;
    return argv
      .positional('section', { type: 'string', description: 'Config section naming dbuser and source_interface' })
      .demandCommand(1, 1, 'name the config section to run', 'name one config section only');
  }

  /** The config section this run uses. */
  get sectionName(): string {
    const name = this.commandlineConfig ? String(this.args._[0] ?? '') : this.configName;
    if (!name) throw new UsageError('no config section: set configName or use commandlineConfig');
    return name;
  }

  protected override lockName(): string {
    return this.sectionName;
  }

  /** The job source interface this run uses: the subclass's, or the section's source_interface. */
  async findSourceInterface(): Promise<JobSourceInterface> {
    return this.sourceInterface ?? sectionSourceInterface(this.config, this.sectionName);
  }

  protected override checkInput(): void {
    checkJobSection(this.config, this.sectionName);
  }

  override async main(): Promise<void> {
    const section = this.config.section(this.sectionName);
    if (!section.boolean('enabled')) {
      this.logger.info(`[${this.sectionName}] is disabled in config (enabled: false); nothing to do.`);
      return;
    }
    checkRoleName(section.string('dbuser'));
    const sourceInterface = await this.findSourceInterface();
    const database = await resolveDatabase(this.config);
    const login = sectionLogin(section, database.url, process.env, database.pooler);
    // One plain connection, as the section's login, checks that the schema is this version's
    // and, when the source interface declares its job types, asks as the section's role
    // whether there is anything to do: an empty run stops here, before the source, TypeORM
    // and the runner are loaded (most of a start-up's cost).
    const declared = sourceInterface.declared;
    const workToDo = await withDatabaseClient(login.url, async (client) => {
      await ensureSchemaCurrent(client, database, login);
      if (declared) return sectionHasWork(client, section, login, declared);
      if (login.role) await setRole(client, login.role, login.url);
      return true;
    }, database.pooler);
    if (declared && !workToDo) {
      this.logger.info(`Ran 0 ${declared.jobName} jobs.`);
      return;
    }
    const source = await sourceInterface.load();
    const [{ openDataSource }, { JobRunner }, { sectionExecutors, sectionRunnerOptions }] = await Promise.all([
      import('../database/dataSource.ts'),
      import('./runner.ts'),
      import('./sectionExecutors.ts'),
    ]);
    const concurrency = section.integer('concurrency');
    const dataSource = await openDataSource(login.url, {
      ...(login.role ? { role: login.role } : {}),
      pooler: database.pooler,
      applicationName: `jobsystem ${this.sectionName}`,
      poolSize: concurrency + 2,
    });
    const reports = this.config.section('error_reports');
    const { executor, suspectExecutor } = sectionExecutors(section, login, reports, `${reports.string('oops_prefix')}-${this.reporterName()}`);
    const runner = new JobRunner({ ...sectionRunnerOptions(section, { executor, suspectExecutor }, this.oopsFiler(), sectionQueues(section)), dataSource, logger: this.logger });
    this.runner = runner;
    const stopSignals = handleStopSignals({
      logger: this.logger,
      gracePeriodMs: section.duration('grace_period'),
      stop: () => runner.stop(),
      releaseUnstarted: () => runner.releaseUnstarted(),
      onSignal: (signal) => (this.interruptedBy = signal),
    });
    try {
      await runner.runAllFromSource(source);
      runner.logSummary(source.name);
    } finally {
      stopSignals.remove();
      await executor?.close();
      if (suspectExecutor !== executor) await suspectExecutor?.close();
      await dataSource.destroy().catch(() => undefined);
    }
  }
}
