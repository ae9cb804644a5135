import type { Argv } from 'yargs';
import { parseValue } from '../config/datatypes.ts';
import { requireCurrentSchema } from '../database/requireCurrentSchema.ts';
import { withDatabaseClient } from '../database/databaseClient.ts';
import { resolveDatabase } from '../database/databaseUrl.ts';
import { CronScript, UsageError } from '../scripts/cronScript.ts';
import { createJob, InvalidJobRequest } from './createJob.ts';
import { ddqState } from './ddqState.ts';
import { knownTaskJobs } from './knownTaskJobs.ts';
import { isWorkspace, type Workspace } from './workspace.ts';

/**
 * `cronscripts/create_job.ts <job_name> [--queue_name Q] [--priority N] [--workspace JSON]`: creates one
 * multi-step job (django-db-queue's manage.py create_job), running its creation hook, and
 * prints its id on stdout. Bad input (no or an unknown job name, a workspace that is not a JSON
 * object or does not match the job name's workspace schema, a queue no job section serves) is
 * one line on stderr and exit status 2, with nothing written. Runs as the database
 * URL's login, which must be allowed to insert into job.
 */
export class CreateJobScript extends CronScript {
  readonly scriptName = 'create_job';
  /** The id of the job created by main(), for callers and tests. */
  createdJobId: number | undefined;

  protected override usage(): string {
    return '$0 <job_name> [--queue_name Q] [--priority N] [--workspace JSON] [--not-before TIME]';
  }

  protected override description(): string {
    return 'Create a multi-step job of a job name that a job section of the config runs, and print its id. It starts as NEW at its first step; run_jobs.ts <section> runs its steps.';
  }

  protected override defineOptions(argv: Argv): Argv {
    return argv
      .positional('job_name', { type: 'string', description: 'The job name, e.g. import_cats' })
      // At most one positional; a missing one is refused in main(), listing the job names.
      .demandCommand(0, 1, '', 'name one job only')
      .option('queue_name', { type: 'string', default: 'default', description: 'The queue to create the job in' })
      .option('priority', { type: 'string', default: '0', description: 'Within its queue, higher runs first (an integer; negatives allowed)' })
      .option('workspace', { type: 'string', description: 'The initial workspace: a JSON object (default {})' })
      .option('not-before', { type: 'string', description: 'Do not run the job before this time: an ISO 8601 time with its zone (2026-12-01T02:00:00Z) or a delay from now (30s, 10m, 2h)' });
  }

  // Many jobs may be created at once: each run has a lock of its own (removed when it ends).
  protected override lockName(): string {
    return `${this.scriptName}.${process.pid}`;
  }

  protected override reporterName(): string {
    return this.scriptName;
  }

  /** --workspace parsed; a UsageError (exit 2) for malformed JSON or anything but an object. */
  get workspace(): Workspace {
    const raw = this.args.workspace;
    if (raw === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(raw));
    } catch (thrown) {
      throw new UsageError(`--workspace is not valid JSON: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
    }
    if (!isWorkspace(parsed)) throw new UsageError(`--workspace must be a JSON object such as '{"key": "value"}', not ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}`);
    return parsed;
  }

  get queueName(): string {
    const queue = String(this.args.queue_name);
    if (queue.trim() === '') throw new UsageError('--queue_name must not be empty');
    return queue;
  }

  /** --priority as given (text, so that an error can quote it): an integer PostgreSQL can store. */
  get priority(): number {
    const text = String(this.args.priority).trim();
    if (!/^[-+]?\d+$/.test(text)) throw new UsageError(`--priority: '${text}' is not an integer`);
    const value = Number(text);
    if (value < -(2 ** 31) || value >= 2 ** 31) throw new UsageError(`--priority: ${text} is out of range (${-(2 ** 31)} to ${2 ** 31 - 1})`);
    return value;
  }

  /** --not-before as a time; null when not given. */
  get notBefore(): Date | null {
    const raw = this.args['not-before'];
    if (raw === undefined) return null;
    const text = String(raw).trim();
    const delay = parseValue('duration', text);
    if (typeof delay === 'number') return new Date(Date.now() + delay);
    // A time must say its zone: a bare local time means different things on different hosts.
    const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text) ? new Date(text) : undefined;
    if (!time || Number.isNaN(time.getTime())) throw new UsageError(`--not-before: '${text}' is neither an ISO 8601 time with its zone (2026-12-01T02:00:00Z) nor a delay such as 10m`);
    return time;
  }

  /** Refused before the lock and the database: the workspace, the queue name, the priority, the time. */
  protected override checkInput(): void {
    void this.workspace;
    void this.queueName;
    void this.priority;
    void this.notBefore;
  }

  override async main(): Promise<void> {
    const known = await knownTaskJobs(this.config, this.logger);
    const names = [...known.keys()].sort().join(', ') || 'none';
    const name = this.args._[0] === undefined ? undefined : String(this.args._[0]);
    if (name === undefined) throw new UsageError(`name the job to create; known job names: ${names}`);
    const target = known.get(name);
    if (!target) throw new UsageError(`unknown job name '${name}'; known job names: ${names}`);
    // A job in a queue that no section of the config serves would wait for ever.
    const serving = target.servedBy.find(({ queues }) => queues.includes(this.queueName));
    if (!serving) {
      const served = target.servedBy.map(({ section, queues }) => `[${section}] serves ${queues.join(', ')}`).join('; ');
      throw new UsageError(`no job section runs ${name} jobs in queue '${this.queueName}' (${served}); add the queue to a section's queues key, or name a served one`);
    }
    const database = await resolveDatabase(this.config);
    await withDatabaseClient(database.url, (client) => requireCurrentSchema(client, database), database.pooler);
    const { openDataSource } = await import('../database/dataSource.ts');
    const dataSource = await openDataSource(database.url, { applicationName: 'jobsystem create_job', poolSize: 1, pooler: database.pooler });
    try {
      const job = await createJob(dataSource.manager, target.jobs, name, { workspace: this.workspace, queueName: this.queueName, priority: this.priority, scheduledStart: this.notBefore }).catch((error: unknown) => {
        throw error instanceof InvalidJobRequest ? new UsageError(error.message) : error;
      });
      this.createdJobId = job.id;
      process.stdout.write(`${job.id}\n`);
      this.logger.info(`Created ${name} job ${job.id} in queue ${job.queueName}: ${ddqState(job)} at step 1 of ${target.jobs.definition(name)!.tasks.length}; run_jobs.ts ${serving.section} runs it.`);
    } finally {
      await dataSource.destroy().catch(() => undefined);
    }
  }
}
