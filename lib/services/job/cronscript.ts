import type { Argv } from 'yargs';
import { applySchema, applySchemaOn } from '../database/applySchema.ts';
import { setRole, withDatabaseClient } from '../database/databaseClient.ts';
import { resolveDatabase } from '../database/databaseUrl.ts';
import { checkRoleName } from '../database/roleName.ts';
import { SchemaBehind, schemaState } from '../database/schemaState.ts';
import { sectionLogin } from '../database/sectionLogin.ts';
import { CronScript, UsageError, type CronScriptOptions } from '../scripts/cronScript.ts';
import { toError } from './interfaces/errors.ts';
import type { JobRunner } from './runner.ts';
import { findJobSourceInterface, type JobSourceInterface } from './sourceInterface.ts';
import { checkJobSection, jobSectionNames } from './jobSections.ts';
import { anyJobToRun } from './sql/anyJobToRun.ts';
import { selectRunningOwnersOn } from './sql/selectRunningOwners.ts';
import { deadOwners, thisHostPrefix } from './deadRunners.ts';
import { sectionQueues } from './sectionQueues.ts';
import { isTaskSection, taskSectionSourceInterface } from '../tasks/taskSection.ts';

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
    if (this.sourceInterface) return this.sourceInterface;
    const section = this.config.section(this.sectionName);
    // A multi-step job named in the config by its tasks (lib/services/tasks/taskSection.ts).
    if (isTaskSection(section)) return taskSectionSourceInterface(this.sectionName, section);
    return findJobSourceInterface(section.string('source_interface'));
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
      const state = await schemaState(client);
      if (state !== 'current') {
        // A configured database is upgraded only by the explicit command, run by the owner
        // of the tables: a run's login may do no DDL. The embedded development server is
        // brought up to date on the fly.
        if (!database.embedded) throw new SchemaBehind(database.url, state);
        if (login.url === database.url) await applySchemaOn(client);
        else await applySchema(database.url);
      }
      if (login.role) await setRole(client, login.role, login.url);
      if (!declared || (await anyJobToRun(client, declared.jobTypes, sectionQueues(section)))) return true;
      // A runner of this host that died (kill -9, OOM) left jobs RUNNING under a live lease:
      // its pid being gone is proof enough, so this run takes them back now.
      return deadOwners(await selectRunningOwnersOn(client, declared.jobTypes, thisHostPrefix())).length > 0;
    }, database.pooler);
    if (declared && !workToDo) {
      this.logger.info(`Ran 0 ${declared.jobName} jobs.`);
      return;
    }
    const source = await sourceInterface.load();
    const [{ openDataSource }, { JobRunner }, { sectionExecutors }] = await Promise.all([
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
    const runner = new JobRunner({
      dataSource,
      logger: this.logger,
      fileOops: this.oopsFiler(),
      batchSize: section.integer('batch_size'),
      leaseMs: section.duration('lease_duration'),
      concurrency,
      executor,
      suspectExecutor,
      exitOnCrash: true,
      maxRecordedJobs: 1000,
      queues: sectionQueues(section),
    });
    this.runner = runner;
    const stopSignals = this.handleStopSignals(runner, section.duration('grace_period'));
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

  /**
   * SIGTERM or SIGINT: claim nothing more, let running jobs finish within the grace period,
   * hand back claimed jobs that have not started, and exit 128+signal. A second signal, or
   * the end of the grace period, exits at once: the leases of running jobs cover them, and
   * the claimed jobs that have not started are handed back first (waiting at most
   * RELEASE_WAIT_MS for the database), so they neither wait for a lease nor lose an attempt.
   */
  private handleStopSignals(runner: JobRunner, gracePeriodMs: number): { remove(): void } {
    let timer: NodeJS.Timeout | undefined;
    let exiting = false;
    const exitNow = async (status: number, why: string) => {
      if (exiting) process.exit(status);
      exiting = true;
      const released = await releaseWithin(runner, RELEASE_WAIT_MS);
      if (typeof released === 'number') {
        this.logger.info(`${why}: exiting now; handed back ${released} claimed job(s) that had not started; running jobs are covered by their leases.`);
      } else {
        this.logger.warning(`${why}: exiting now; could not hand back the claimed jobs that had not started (${released.message}): they run again once their leases pass; running jobs are covered by their leases.`);
      }
      process.exit(status);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      const status = 128 + (signal === 'SIGINT' ? 2 : 15);
      if (this.interruptedBy) return void exitNow(status, `Received ${signal} again`);
      this.interruptedBy = signal;
      runner.stop();
      this.logger.info(`Received ${signal}: claiming no more jobs; running jobs have ${gracePeriodMs / 1000}s to finish.`);
      timer = setTimeout(() => void exitNow(status, 'Grace period over'), gracePeriodMs);
      timer.unref();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    return {
      remove: () => {
        clearTimeout(timer);
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      },
    };
  }
}

/** How long a stopping process waits for the database to take back its unstarted jobs. */
const RELEASE_WAIT_MS = 3000;

/** runner.releaseUnstarted(), or the reason it did not finish within `ms`. */
async function releaseWithin(runner: JobRunner, ms: number): Promise<number | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  try {
    return await Promise.race([runner.releaseUnstarted().catch(toError), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
