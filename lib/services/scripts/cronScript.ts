import { join } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError } from '../config/errors.ts';
import { loadConfig, type Config } from '../config/loadConfig.ts';
import { DatabaseUnavailable, isConnectionError } from '../database/connectionErrors.ts';
import { SchemaBehind } from '../database/schemaState.ts';
import { toError } from '../job/interfaces/errors.ts';
import { makeOopsFiler, type OopsFiler } from '../oops/filer.ts';
import type { OopsReport } from '../oops/report.ts';
import { ExitStatus, helpEpilogue } from './exitStatus.ts';
import { LockBusy, LockFile, LockPathError } from './lockFile.ts';
import { checkLogFile, createScriptLogger, LogFileError, type LogLevel, type Logger } from './logger.ts';

/** An OOPS id in a log line (see lib/services/oops/report.ts). */
const NAMES_AN_OOPS = /\bOOPS-[0-9A-Za-z]+\b/;

export { ExitStatus } from './exitStatus.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CommonArgs {
  verbose: number;
  quiet: number;
  'log-file'?: string;
  'lock-dir'?: string;
  _: Array<string | number>;
  [key: string]: unknown;
}

export interface CronScriptOptions {
  /** Arguments to parse instead of process.argv (tests). */
  testArgs?: string[];
  logger?: Logger;
  config?: Config;
}

/**
 * The base of every cron script (Launchpad's LaunchpadCronScript): options, config,
 * logging, one lock file, OOPS reports for problems, and an exit status.
 * Subclasses add options in defineOptions() and do their work in main().
 */
export abstract class CronScript {
  /** Used in --help and, by default, for the lock file name. */
  abstract readonly scriptName: string;
  protected readonly testArgs: string[] | undefined;
  private parsedArgs: CommonArgs | undefined;
  private scriptLogger: Logger | undefined;
  private loadedConfig: Config | undefined;
  private closeLogger: (() => Promise<void>) | undefined;
  private readonly pendingOops: Array<Promise<unknown>> = [];
  /** The stop signal received during main(), if any: the exit status becomes 128+signal. */
  interruptedBy: NodeJS.Signals | undefined;

  constructor(options: CronScriptOptions = {}) {
    this.testArgs = options.testArgs;
    this.scriptLogger = options.logger;
    this.loadedConfig = options.config;
  }

  /** Add the script's own options and positionals. */
  protected defineOptions(argv: Argv): Argv {
    return argv;
  }

  /** The usage line of --help; `$0` is the script's name. */
  protected usage(): string {
    return '$0 [options]';
  }

  /** What the script does, under the usage line of --help. */
  protected description(): string {
    return '';
  }

  /** More exit statuses than every script's, for --help: [status, meaning]. */
  protected extraExitStatuses(): Array<[string, string]> {
    return [];
  }

  /** Said after a usage error's message, e.g. what the valid choices are. */
  protected usageErrorHint(): string {
    return '';
  }

  /** Refuse bad input before the lock file is made: throw a UsageError or ConfigError. */
  protected checkInput(): void {}

  /** The work, run under the lock. */
  abstract main(): Promise<void>;

  /** 0, or 128+signal when a stop signal ended the run early. */
  protected exitStatusAfterMain(): number {
    const signal = this.interruptedBy;
    if (signal === 'SIGINT') return ExitStatus.INTERRUPTED;
    if (signal === 'SIGTERM') return ExitStatus.TERMINATED;
    return ExitStatus.OK;
  }

  /** The lock file is `<lock_dir>/<lockName()>.lock`. */
  protected lockName(): string {
    return this.scriptName;
  }

  /** The reporter of OOPS reports is `<oops_prefix>-<reporterName()>`. */
  protected reporterName(): string {
    return this.lockName();
  }

  get args(): CommonArgs {
    if (!this.parsedArgs) this.parsedArgs = this.parseArgs();
    return this.parsedArgs;
  }

  private parseArgs(): CommonArgs {
    const description = this.description();
    const argv = yargs(this.testArgs ?? hideBin(process.argv))
      .scriptName(this.scriptName)
      .usage(description ? `${this.usage()}\n\n${description}` : this.usage())
      .epilogue(helpEpilogue(this.extraExitStatuses()))
      .option('verbose', { alias: 'v', type: 'count', description: 'Log more (repeat for more)' })
      .option('quiet', { alias: 'q', type: 'count', description: 'Log less (repeat for less)' })
      .option('log-file', { type: 'string', description: 'Also write the log to this file' })
      .option('lock-dir', { type: 'string', description: 'Folder of the lock file (default: [scripts] lock_dir)' })
      .strict()
      .help()
      .alias('help', 'h')
      .version(false)
      .wrap(Math.min(100, process.stdout.columns || 100))
      .exitProcess(this.testArgs === undefined)
      .fail((message, error) => {
        throw new UsageError(message || error?.message || 'invalid arguments');
      });
    return this.defineOptions(argv).parseSync() as unknown as CommonArgs;
  }

  get config(): Config {
    if (!this.loadedConfig) this.loadedConfig = loadConfig();
    return this.loadedConfig;
  }
  set config(config: Config) {
    this.loadedConfig = config;
  }

  get logger(): Logger {
    if (!this.scriptLogger) this.scriptLogger = this.makeLogger();
    return this.scriptLogger;
  }
  set logger(logger: Logger) {
    this.scriptLogger = logger;
  }

  private logLevel(): LogLevel {
    const { verbose = 0, quiet = 0 } = this.parsedArgs ?? {};
    const levels: LogLevel[] = ['error', 'warning', 'info', 'debug'];
    return levels[Math.max(0, Math.min(3, 2 + verbose - quiet))]!;
  }

  private makeLogger(): Logger {
    let timestamps = true;
    let fileOops: ((error: unknown) => Promise<OopsReport>) | undefined;
    try {
      timestamps = this.config.section('scripts').boolean('log_timestamps');
      fileOops = this.oopsFiler();
    } catch {
      // The config is broken: log plainly; the config error itself is reported by lockAndRun.
    }
    const logger = createScriptLogger({
      level: this.logLevel(),
      timestamps,
      logFile: this.parsedArgs?.['log-file'],
      // As in Launchpad, a WARNING or worse from a script is worth an OOPS report; a line that
      // names an OOPS (`Job resulted in OOPS: OOPS-…`) is about a report already filed.
      onProblem: fileOops && ((level, message) => {
        if (NAMES_AN_OOPS.test(message)) return;
        const error = new Error(message);
        error.name = level === 'error' ? 'LoggedError' : 'LoggedWarning';
        this.pendingOops.push(fileOops(error).catch(() => undefined));
      }),
    });
    this.closeLogger = logger.close;
    return logger;
  }

  /** Writes OOPS reports to [error_reports] error_dir as `<oops_prefix>-<reporter>`. */
  oopsFiler(): OopsFiler {
    const section = this.config.section('error_reports');
    return makeOopsFiler({
      errorDir: section.string('error_dir'),
      reporter: `${section.string('oops_prefix')}-${this.reporterName()}`,
      logger: this.scriptLogger,
    });
  }

  lockFilePath(): string {
    const dir = this.args['lock-dir'] ?? this.config.section('scripts').string('lock_dir');
    return join(dir, `${this.lockName()}.lock`);
  }

  /** Parse, lock, run main(), unlock; return the exit status. Never throws. */
  async lockAndRun(): Promise<number> {
    let lock: LockFile | undefined;
    try {
      void this.args;
      void this.config;
      const logFile = this.args['log-file'];
      if (logFile !== undefined && !this.scriptLogger) checkLogFile(logFile);
      this.checkInput();
      lock = new LockFile(this.lockFilePath());
      this.logger.debug(`Creating lockfile: ${lock.path}`);
      lock.acquire();
      if (lock.tookOver) this.logger.info(`Took over stale lockfile ${lock.path} (it named ${lock.tookOver}).`);
      await this.main();
      return this.exitStatusAfterMain();
    } catch (thrown) {
      return this.reportFailure(thrown);
    } finally {
      lock?.release();
      await Promise.all(this.pendingOops);
      await this.closeLogger?.();
    }
  }

  /** One line naming the problem, and the exit status that goes with it. */
  protected reportFailure(thrown: unknown): number {
    const error = toError(thrown);
    if (error instanceof LockBusy) {
      this.logger.info(error.message);
      return ExitStatus.LOCK_BUSY;
    }
    if (error instanceof UsageError) {
      const hint = this.usageErrorHint();
      this.plainError(`${this.scriptName}: ${error.message}${hint ? `; ${hint}` : ''} (see --help)`);
      return ExitStatus.BAD_INPUT;
    }
    if (error instanceof ConfigError || error instanceof LogFileError || error instanceof LockPathError) {
      this.plainError(`${this.scriptName}: ${error.message}`);
      return ExitStatus.BAD_INPUT;
    }
    const message = error.message;
    if (error instanceof SchemaBehind) {
      // Every run until the upgrade says the same: one line, no OOPS report.
      this.plainError(`${this.scriptName}: ${message}`);
      return ExitStatus.SCHEMA_BEHIND;
    }
    if (error instanceof DatabaseUnavailable || isConnectionError(error)) {
      // An outage is not a bug: one line per run, no OOPS report a minute while it lasts.
      this.plainError(`${this.scriptName}: ${error instanceof DatabaseUnavailable ? message : `database unavailable: ${message}`}`);
      return ExitStatus.DATABASE_UNAVAILABLE;
    }
    this.logger.error(`${this.scriptName} failed: ${error.name}: ${error.message}`);
    return ExitStatus.FAILURE;
  }

  /** For bad input and outages: straight to stderr, in the log format, with no OOPS report. */
  protected plainError(message: string): void {
    process.stderr.write(`ERROR   ${message}\n`);
  }
}
