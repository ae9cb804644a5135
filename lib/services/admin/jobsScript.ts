import { userInfo } from 'node:os';
import type pg from 'pg';
import type { Argv } from 'yargs';
import { parseValue } from '../config/datatypes.ts';
import { setRole, withDatabaseClient } from '../database/databaseClient.ts';
import { resolveDatabase } from '../database/databaseUrl.ts';
import { requireCurrentSchema } from '../database/requireCurrentSchema.ts';
import { checkRoleName } from '../database/roleName.ts';
import { toError } from '../job/interfaces/errors.ts';
import { CronScript, ExitStatus, UsageError, type CronScriptOptions } from '../scripts/cronScript.ts';
import { helpEpilogue } from '../scripts/exitStatus.ts';
import { listAdminLog } from './adminLog.ts';
import { cancelJob, changeJobStatus, type JobAction } from './changeJobStatus.ts';
import { BadAdminRequest, InvalidTransition, JobBusy, JobNotFound, OopsNotFound } from './errors.ts';
import * as output from './jobsOutput.ts';
import { listJobs, LIST_LIMIT_MAX, type JobFilters } from './listJobs.ts';
import { listOopsReports, showOops } from './oopsReports.ts';
import type { Operator } from './operator.ts';
import { pruneOldJobs, pruneOldOops } from './pruneAsOperator.ts';
import { showJob } from './showJob.ts';
import { unservedJobTypes } from './unservedJobTypes.ts';

const CHANGES: Record<JobAction, string> = {
  retry: 'Retry a FAILED job: back to WAITING, ready at once, its retries counted afresh, at the step it failed in.',
  suspend: 'Suspend a WAITING job: no runner claims it until it is resumed.',
  resume: 'Resume a SUSPENDED job: back to WAITING.',
  cancel: 'Cancel a WAITING or SUSPENDED job: it becomes FAILED, with "Cancelled by <operator>: <reason>" as its last error.',
};

const COMMANDS = ['list', 'show', ...Object.keys(CHANGES), 'prune', 'unserved', 'log', 'oops'];

/**
 * `cronscripts/jobs.ts <command>`: the operators' command line over the admin service layer
 * (lib/services/admin/): list, show, retry, suspend, resume, cancel, prune, unserved, log,
 * oops list|show|prune. A readable table by default, --json for scripts. Changes are
 * recorded in admin_log as the --as name (default: the OS user). Unknown ids and refused
 * transitions are one line and exit status 2, with nothing changed.
 */
export class JobsScript extends CronScript {
  readonly scriptName = 'jobs';

  constructor(options: CronScriptOptions = {}) {
    super(options);
  }

  protected override usage(): string {
    return `$0 <command> [options]`;
  }

  protected override description(): string {
    return 'Look at jobs and OOPS reports, and change jobs as an operator: retry, suspend, resume, cancel, prune. Every change goes through the job status transitions and is recorded in admin_log (who, what, when). "$0 <command> --help" describes each command.';
  }

  protected override extraExitStatuses(): Array<[string, string]> {
    return [
      ['2', 'also: an unknown job or OOPS id, or a refused change (InvalidTransition)'],
      ['75', 'also: a runner kept the job row locked: try again'],
    ];
  }

  // Operators may run several at once: reads need no lock, and a change locks its job's row.
  protected override lockName(): string {
    return `${this.scriptName}.${process.pid}`;
  }

  protected override reporterName(): string {
    return this.scriptName;
  }

  protected override defineOptions(argv: Argv): Argv {
    const epilogue = helpEpilogue(this.extraExitStatuses());
    const withId = (y: Argv, what = 'job') => y.positional('id', { type: 'string', description: `The ${what}'s id` });
    const command = (y: Argv, usage: string, description: string) => y.usage(`${usage}\n\n${description}`).epilogue(epilogue);
    return argv
      .option('json', { type: 'boolean', default: false, description: 'Print JSON (for scripts) instead of a table' })
      .option('as', { type: 'string', description: 'Who you are, for admin_log (default: your OS user)' })
      .command('list', 'List jobs, newest first, a page at a time', (y) => command(y, '$0 list [--status S] [--type T] [--queue Q] [--resource T/N] [--limit N] [--after ID]',
        'List jobs, newest first (--asc: oldest first), --limit at a time; "More:" gives the command for the next page. Filters combine; a list filter takes several values (repeated, or comma-separated).')
        .option('status', { type: 'string', array: true, description: 'WAITING, RUNNING, COMPLETED, FAILED, SUSPENDED, or NEW, READY, PROCESSING (the job_state view)' })
        .option('type', { type: 'string', array: true, description: 'Job types (job.job_type), e.g. DoFooJob' })
        .option('queue', { type: 'string', array: true, description: 'Queue names' })
        .option('resource', { type: 'string', description: 'Jobs on this resource: TYPE/NAME (e.g. instance/foo), or TYPE for every resource of a type' })
        .option('resource-type', { type: 'string', description: 'Resource type (as --resource TYPE)' })
        .option('resource-name', { type: 'string', description: 'Resource name' })
        .option('older-than', { type: 'string', description: 'Created longer ago than this duration (30m, 24h, 7d)' })
        .option('newer-than', { type: 'string', description: 'Created within this duration' })
        .option('created-before', { type: 'string', description: 'Created before this date and time (ISO 8601)' })
        .option('created-after', { type: 'string', description: 'Created after this date and time (ISO 8601)' })
        .option('limit', { type: 'number', default: 50, description: `Jobs per page (at most ${LIST_LIMIT_MAX})` })
        .option('after', { type: 'number', description: 'Continue after this job id (the previous page\'s "More:" line)' })
        .option('asc', { type: 'boolean', default: false, description: 'Oldest first' }))
      .command('show <id>', 'Show one job: its row, domain row, workspace, error, OOPS and operators\' changes', (y) => command(withId(y), '$0 show <id>',
        'Show one job: its row, its domain row (foojob, ...), data, workspace, result, last error, its OOPS report\'s summary and the changes operators made to it.'))
      .command('retry <id>', CHANGES.retry, (y) => command(withId(y), '$0 retry <id> [--as NAME]', CHANGES.retry))
      .command('suspend <id>', CHANGES.suspend, (y) => command(withId(y), '$0 suspend <id> [--as NAME]', CHANGES.suspend))
      .command('resume <id>', CHANGES.resume, (y) => command(withId(y), '$0 resume <id> [--as NAME]', CHANGES.resume))
      .command('cancel <id>', CHANGES.cancel, (y) => command(withId(y), '$0 cancel <id> [--reason TEXT] [--as NAME]', CHANGES.cancel)
        .option('reason', { type: 'string', description: 'Why, recorded in the job\'s last error and admin_log' }))
      .command('prune', 'Delete old COMPLETED and FAILED jobs (as delete_old_jobs does)', (y) => command(y, '$0 prune [--older-than 24h] [--as NAME]',
        'Delete COMPLETED and FAILED jobs (with their domain rows) created and finished longer ago than --older-than, in batches: the same code as delete_old_jobs, recorded in admin_log.')
        .option('older-than', { type: 'string', default: '24h', description: 'Keep finished jobs this recent (30m, 24h, 7d)' })
        .option('batch-size', { type: 'number', default: 1000, description: 'Jobs deleted per statement' }))
      .command('unserved', 'List job types that wait but no section of the config runs', (y) => command(y, '$0 unserved',
        'List the job types of WAITING jobs that no job section of the config (JOBS_CONFIG) runs, with how many wait and the oldest ids: such jobs would wait forever.'))
      .command('log', 'List operators\' changes (admin_log), newest first', (y) => command(y, '$0 log [--job ID] [--limit N]', 'List the changes operators made (admin_log), newest first: who, what, when.')
        .option('job', { type: 'number', description: 'Only the changes of this job' })
        .option('limit', { type: 'number', default: 50, description: 'At most this many (up to 1000)' }))
      .command('oops', 'OOPS reports under [error_reports] error_dir: list, show <id>, prune', (y) => command(y, '$0 oops <list|show <id>|prune>', 'OOPS reports under [error_reports] error_dir.')
        .command('list', 'List OOPS reports, newest first', (z) => command(z, '$0 oops list [--limit N] [--before ID]', 'List OOPS reports under [error_reports] error_dir, newest first.')
          .option('limit', { type: 'number', default: 50, description: 'At most this many (up to 1000)' })
          .option('before', { type: 'string', description: 'Continue after this report (the previous page\'s "More:" line)' }))
        .command('show <id>', 'Show one OOPS report', (z) => command(withId(z, 'OOPS report'), '$0 oops show <id>', 'Show one OOPS report whole: error, variables, traceback.'))
        .command('prune', 'Delete OOPS reports older than --older-than', (z) => command(z, '$0 oops prune --older-than D [--as NAME]', 'Delete the OOPS reports filed longer ago than --older-than, recorded in admin_log.')
          .option('older-than', { type: 'string', demandOption: true, description: 'Keep reports this recent (7d, 30d)' }))
        .demandCommand(1, 1, 'name an oops command: list, show <id> or prune'))
      .demandCommand(1, 1, `name a command: ${COMMANDS.join(', ')}`);
  }

  /** The command, e.g. 'list' or 'oops show'. */
  get command(): string {
    const [first, second] = this.args._.map(String);
    return first === 'oops' ? `oops ${second}` : String(first);
  }

  private get jobId(): number {
    const raw = String(this.args.id);
    if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw new UsageError(`'${raw}' is not a job id`);
    return Number(raw);
  }

  private duration(option: string): number | undefined {
    const raw = this.args[option];
    if (raw === undefined) return undefined;
    const value = parseValue('duration', String(raw));
    if (typeof value !== 'number') throw new UsageError(`--${option}: '${String(raw)}' is not a duration such as 30m, 24h or 7d`);
    return value;
  }

  private get operator(): Operator {
    let name = this.args.as === undefined ? undefined : String(this.args.as);
    if (name === undefined) {
      try {
        name = userInfo().username;
      } catch {
        name = process.env.USER || process.env.LOGNAME || 'unknown';
      }
    }
    if (name.trim() === '' || /[\r\n]/.test(name)) throw new UsageError('--as must name you on one line');
    return { name, log: (line) => this.logger.info(line) };
  }

  private get filters(): JobFilters {
    const list = (option: string) => {
      const raw = this.args[option] as string[] | undefined;
      return raw === undefined ? undefined : raw.flatMap((value) => String(value).split(',')).map((value) => value.trim()).filter((value) => value !== '');
    };
    const ago = (option: string) => {
      const ms = this.duration(option);
      return ms === undefined ? undefined : new Date(Date.now() - ms);
    };
    const filters: JobFilters = {};
    const set = <K extends keyof JobFilters>(key: K, value: JobFilters[K] | undefined) => {
      if (value !== undefined) filters[key] = value;
    };
    set('status', list('status'));
    set('jobType', list('type'));
    set('queue', list('queue'));
    const resource = this.args.resource === undefined ? undefined : String(this.args.resource);
    if (resource !== undefined) {
      if (this.args['resource-type'] !== undefined || this.args['resource-name'] !== undefined) throw new UsageError('give --resource TYPE/NAME, or --resource-type and --resource-name, not both');
      const slash = resource.indexOf('/');
      const [type, name] = slash < 0 ? [resource, undefined] : [resource.slice(0, slash), resource.slice(slash + 1)];
      if (type === '' || name === '') throw new UsageError(`--resource: '${resource}' is not TYPE/NAME (e.g. instance/foo) or TYPE`);
      set('resourceType', type);
      set('resourceName', name);
    } else {
      set('resourceType', this.args['resource-type'] as string | undefined);
      set('resourceName', this.args['resource-name'] as string | undefined);
    }
    if (this.args['older-than'] !== undefined && this.args['created-before'] !== undefined) throw new UsageError('give --older-than or --created-before, not both');
    if (this.args['newer-than'] !== undefined && this.args['created-after'] !== undefined) throw new UsageError('give --newer-than or --created-after, not both');
    set('createdBefore', ago('older-than') ?? (this.args['created-before'] as string | undefined));
    set('createdAfter', ago('newer-than') ?? (this.args['created-after'] as string | undefined));
    return filters;
  }

  /** Refused before the lock and the database: ids, durations, names. */
  protected override checkInput(): void {
    const command = this.command;
    if (['show', 'retry', 'suspend', 'resume', 'cancel'].includes(command)) void this.jobId;
    if (['retry', 'suspend', 'resume', 'cancel', 'prune', 'oops prune'].includes(command)) void this.operator;
    if (command === 'list') void this.filters;
    if (command === 'prune' || command === 'oops prune') void this.duration('older-than');
  }

  /** One connection for the command, as [jobs_admin] dbuser when set, on a current schema. */
  private async withClient<T>(use: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const database = await resolveDatabase(this.config);
    const role = this.config.section('jobs_admin').optional<string>('dbuser');
    if (role) checkRoleName(role);
    // A SET ROLE outlives the transaction on a server connection that a transaction-mode
    // pooler shares with other clients: through one, the command logs in as it is.
    if (role && database.pooler === 'transaction') throw new UsageError(`[jobs_admin] dbuser (${role}) cannot be taken through a transaction-mode pooler ([database] pooler: transaction); log in as that role in DATABASE_URL instead, or leave dbuser empty`);
    return withDatabaseClient(database.url, async (client) => {
      await requireCurrentSchema(client, database);
      if (role) await setRole(client, role, database.url);
      return use(client);
    }, database.pooler);
  }

  private print<T>(value: T, format: (value: T) => string): void {
    process.stdout.write(`${this.args.json ? JSON.stringify(value, null, 2) : format(value)}\n`);
  }

  /** The same command line with `option value` put in place of any earlier one: the next page. */
  private nextPageCommand(option: string, value: string | number): string {
    const argv = process.argv.slice(2);
    const kept: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === `--${option}`) i++;
      else if (!argv[i]!.startsWith(`--${option}=`)) kept.push(argv[i]!);
    }
    return ['jobs.ts', ...kept, `--${option}`, String(value)].join(' ');
  }

  private get errorDir(): string {
    return this.config.section('error_reports').string('error_dir');
  }

  override async main(): Promise<void> {
    const command = this.command;
    switch (command) {
      case 'list': {
        const order = this.args.asc ? 'asc' : 'desc';
        const after = this.args.after as number | undefined;
        const listing = await this.withClient((client) => listJobs(client, this.filters, { limit: Number(this.args.limit), order, ...(after === undefined ? {} : { afterId: after }) }));
        return this.print(listing, (value) => output.formatJobListing(value, (afterId) => this.nextPageCommand('after', afterId)));
      }
      case 'show':
        return this.print(await this.withClient((client) => showJob(client, this.jobId, { errorDir: this.errorDir })), output.formatJobDetails);
      case 'retry':
      case 'suspend':
      case 'resume':
      case 'cancel': {
        const reason = this.args.reason === undefined ? undefined : String(this.args.reason);
        const change = await this.withClient(async (client) => {
          if (command === 'cancel') return cancelJob(client, this.jobId, this.operator, reason);
          return changeJobStatus(client, command, this.jobId, this.operator);
        });
        return this.print(change, output.formatJobChange);
      }
      case 'prune': {
        const olderThanMs = this.duration('older-than')!;
        const batchSize = Number(this.args['batch-size']);
        if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size: '${String(this.args['batch-size'])}' is not a positive integer`);
        return this.print(await this.withClient((client) => pruneOldJobs(client, { olderThanMs, batchSize }, this.operator)), output.formatJobPrune);
      }
      case 'unserved':
        return this.print(await this.withClient((client) => unservedJobTypes(client, this.config)), output.formatUnserved);
      case 'log': {
        const job = this.args.job as number | undefined;
        return this.print(await this.withClient((client) => listAdminLog(client, { limit: Number(this.args.limit), ...(job === undefined ? {} : { job }) })), output.formatAdminLog);
      }
      case 'oops list': {
        const before = this.args.before as string | undefined;
        const listing = await listOopsReports(this.errorDir, { limit: Number(this.args.limit), ...(before === undefined ? {} : { beforeId: before }) });
        return this.print(listing, (value) => output.formatOopsListing(value, (beforeId) => this.nextPageCommand('before', beforeId)));
      }
      case 'oops show':
        return this.print(await showOops(this.errorDir, String(this.args.id)), output.formatOops);
      case 'oops prune': {
        const olderThanMs = this.duration('older-than')!;
        return this.print(await this.withClient((client) => pruneOldOops(client, this.errorDir, olderThanMs, this.operator)), output.formatOopsPrune);
      }
      default:
        throw new UsageError(`unknown command '${command}'; commands: ${COMMANDS.join(', ')}`);
    }
  }

  /** The admin layer's typed errors are bad input (2), or a busy row (75): one line each, no OOPS. */
  protected override reportFailure(thrown: unknown): number {
    const error = toError(thrown);
    if (error instanceof BadAdminRequest) return super.reportFailure(new UsageError(error.message));
    if (error instanceof JobNotFound || error instanceof OopsNotFound || error instanceof InvalidTransition) {
      this.plainError(`${this.scriptName}: ${error.name}: ${error.message}`);
      return ExitStatus.BAD_INPUT;
    }
    if (error instanceof JobBusy) {
      this.plainError(`${this.scriptName}: ${error.name}: ${error.message}`);
      return ExitStatus.LOCK_BUSY;
    }
    return super.reportFailure(error);
  }
}
