import type { Argv } from 'yargs';
import { setRole, withDatabaseClient } from '../database/databaseClient.ts';
import { isConnectionError } from '../database/connectionErrors.ts';
import { resolveDatabase } from '../database/databaseUrl.ts';
import { checkRoleName } from '../database/roleName.ts';
import { sectionLogin } from '../database/sectionLogin.ts';
import { parseValue } from '../config/datatypes.ts';
import { toError } from '../job/interfaces/errors.ts';
import { checkJobSection, jobSectionNames } from '../job/jobSections.ts';
import { ensureSchemaCurrent, sectionSourceInterface } from '../job/sectionProbe.ts';
import { sectionQueues } from '../job/sectionQueues.ts';
import { DEFAULT_BACKOFF, NotifyListener, reconnectDelay } from '../notify/listener.ts';
import type { NotifyEvent } from '../notify/payload.ts';
import { CronScript, UsageError } from '../scripts/cronScript.ts';
import { handleStopSignals } from '../scripts/stopSignals.ts';
import type { WorkerLane } from './workerLane.ts';

/** The slow poll that backs up notifications (scheduled jobs, retries, a lost notification). */
export const DEFAULT_POLL = '10s';

/**
 * `cronscripts/worker.ts [queue_name ...]`: stays up and runs the jobs of the named queues
 * (default `default`) as they arrive, with run_jobs' runner and outcomes. It serves every
 * enabled job section whose `queues` include one of them (or the sections named with
 * --section), each through its own login and pool, on the named queues only. It is woken by
 * LISTEN/NOTIFY (a job insert notifies, lib/services/notify/) and by a slow poll. Many workers,
 * on many hosts, may serve the same queues: claims skip each other's locked rows, so the lock
 * file is per process (worker-<pid>.lock), never per section.
 */
export class WorkerScript extends CronScript {
  readonly scriptName = 'worker';
  /** The lanes of the running main(), for tests. */
  lanes: WorkerLane[] = [];

  protected override usage(): string {
    return '$0 [queue_name ...] [--section NAME ...] [--poll DURATION]';
  }

  protected override description(): string {
    return 'Stay up and run the jobs of the named queues (default: default) as they are created, woken by LISTEN/NOTIFY and a slow poll. Serves every enabled job section whose queues include one of them, or the sections named by --section. SIGTERM: claim nothing more, let running jobs finish within grace_period, exit 143.';
  }

  protected override defineOptions(argv: Argv): Argv {
    return argv
      .positional('queue_name', { type: 'string', description: 'Queues to serve (default: default)' })
      // Any number of queue names (strict parsing refuses positionals beyond the maximum).
      .demandCommand(0, 1000)
      .option('section', { type: 'string', array: true, description: 'Serve these job sections only (default: every enabled one whose queues include a named queue)' })
      .option('poll', { type: 'string', default: DEFAULT_POLL, description: 'How often to look for work without a notification (scheduled jobs, retries)' });
  }

  /** Not exclusive: many workers serve the same queues. */
  protected override lockName(): string {
    return `worker-${process.pid}`;
  }

  protected override reporterName(): string {
    return 'worker';
  }

  get queues(): string[] {
    const named = this.args._.map(String).filter((name) => name.trim() !== '');
    return named.length > 0 ? [...new Set(named)] : ['default'];
  }

  get pollMs(): number {
    const parsed = parseValue('duration', String(this.args.poll));
    if (typeof parsed !== 'number' || parsed <= 0) throw new UsageError(`--poll must be a positive duration such as 10s, not '${String(this.args.poll)}'`);
    return parsed;
  }

  /** The sections served and, for each, the queues it serves for this worker. */
  servedSections(): Array<{ name: string; queues: string[] }> {
    const wanted = this.queues;
    const named = (this.args.section as string[] | undefined) ?? [];
    for (const name of named) checkJobSection(this.config, name);
    const candidates = named.length > 0 ? named : jobSectionNames(this.config).filter((name) => this.config.section(name).boolean('enabled'));
    const served = candidates
      .map((name) => ({ name, queues: sectionQueues(this.config.section(name)).filter((queue) => wanted.includes(queue)) }))
      .filter((section) => section.queues.length > 0);
    if (served.length === 0) throw new UsageError(`no enabled job section serves queue(s) ${wanted.join(', ')}${named.length > 0 ? ` among ${named.join(', ')}` : ''} (a section's queues key names its queues)`);
    return served;
  }

  protected override checkInput(): void {
    void this.pollMs;
    this.servedSections();
  }

  override async main(): Promise<void> {
    const [{ openDataSource }, { sectionExecutors, sectionRunnerOptions }, { WorkerLane }] = await Promise.all([
      import('../database/dataSource.ts'),
      import('../job/sectionExecutors.ts'),
      import('./workerLane.ts'),
    ]);
    const database = await resolveDatabase(this.config);
    const served = this.servedSections();
    const pollMs = this.pollMs;
    let stopping = false;
    // SIGTERM or SIGINT: every lane claims nothing more; running jobs have grace_period (the
    // longest of the served sections') to finish (lib/services/scripts/stopSignals.ts).
    const stopSignals = handleStopSignals({
      logger: this.logger,
      gracePeriodMs: Math.max(...served.map(({ name }) => this.config.section(name).duration('grace_period'))),
      stop: () => {
        stopping = true;
        for (const lane of this.lanes) lane.stop();
      },
      releaseUnstarted: async () => (await Promise.all(this.lanes.map((lane) => lane.releaseUnstarted()))).reduce((a, b) => a + b, 0),
      onSignal: (signal) => (this.interruptedBy = signal),
    });
    const lanes: WorkerLane[] = (this.lanes = []);
    let listener: NotifyListener | undefined;
    let poll: NodeJS.Timeout | undefined;
    try {
      // Start-up waits for the database as long as it takes (a worker started with, or before,
      // its database must not crash-loop), unless told to stop.
      const listenUrl = database.listenUrl;
      if (listenUrl) {
        await this.untilConnected(() => stopping, async () => {
          listener = new NotifyListener({ url: listenUrl, logger: this.logger, applicationName: 'jobsystem worker listener' });
          await listener.start();
        });
      } else {
        // A transaction-mode pooler hands each transaction to any server connection: a LISTEN
        // there would hear nothing (or take another client's notifications).
        this.logger.info(`No LISTEN through a transaction-mode pooler ([database] pooler: transaction) and no [database] listen_url set: polling every ${pollMs / 1000}s.`);
      }
      for (const { name, queues } of served) {
        if (stopping) break;
        const section = this.config.section(name);
        checkRoleName(section.string('dbuser'));
        const login = sectionLogin(section, database.url, process.env, database.pooler);
        const sourceInterface = await sectionSourceInterface(this.config, name);
        const source = await sourceInterface.load();
        const concurrency = section.integer('concurrency');
        const dataSource = await this.untilConnected(() => stopping, async () => {
          await withDatabaseClient(login.url, async (client) => {
            await ensureSchemaCurrent(client, database, login);
            if (login.role) await setRole(client, login.role, login.url);
          }, database.pooler);
          return openDataSource(login.url, { ...(login.role ? { role: login.role } : {}), pooler: database.pooler, applicationName: `jobsystem worker ${name}`, poolSize: concurrency + 2 });
        });
        if (!dataSource) break;
        const reports = this.config.section('error_reports');
        const { executor, suspectExecutor } = sectionExecutors(section, login, reports, `${reports.string('oops_prefix')}-${this.reporterName()}`);
        lanes.push(new WorkerLane({
          section: name,
          source,
          dataSource,
          logger: this.logger,
          executors: [executor, suspectExecutor].filter((one, index, all) => one !== undefined && all.indexOf(one) === index) as NonNullable<typeof executor>[],
          runnerOptions: sectionRunnerOptions(section, { executor, suspectExecutor }, this.oopsFiler(), queues),
        }));
        this.logger.info(`Serving [${name}] (${source.name}) on queue(s) ${queues.join(', ')}.`);
      }
      if (stopping) return;
      listener?.subscribe((event: NotifyEvent) => {
        for (const lane of lanes) {
          if (event.kind === 'reconnected') lane.poke(true);
          // A job on a resource reached the front of its queue (lib/services/resources/).
          else if (event.kind === 'job_event') {
            if (event.event === 'ready' && lane.jobTypes.includes(event.jobType)) lane.poke();
          } else if (event.kind === 'job_inserted' && (!event.jobTypes || event.jobTypes.some((type) => lane.jobTypes.includes(type)))) lane.poke();
        }
      });
      poll = setInterval(() => lanes.forEach((lane) => lane.poke(true)), pollMs);
      this.logger.info(listener ? `Worker ready: woken by notifications and every ${pollMs / 1000}s.` : `Worker ready: polling every ${pollMs / 1000}s.`);
      await Promise.all(lanes.map((lane) => lane.run()));
    } finally {
      clearInterval(poll);
      stopSignals.remove();
      await listener?.close().catch(() => undefined);
      for (const lane of lanes) await lane.close();
      this.logger.info(`Worker stopped; ${lanes.reduce((sum, lane) => sum + lane.completed, 0)} job(s) ran.`);
    }
  }

  /** Try `attempt` until it succeeds, waiting with capped backoff while the database is
   * unreachable (one line when it first fails); undefined when stopped meanwhile. */
  private async untilConnected<T>(stopped: () => boolean, attempt: () => Promise<T>): Promise<T | undefined> {
    for (let tries = 1; !stopped(); tries++) {
      try {
        return await attempt();
      } catch (thrown) {
        const error = toError(thrown);
        if (!isConnectionError(error) && error.name !== 'DatabaseUnavailable') throw error;
        const delayMs = reconnectDelay(tries, DEFAULT_BACKOFF);
        if (tries === 1) this.logger.warning(`Waiting for the database: ${error.message}`);
        // Each try, at -v: the backoff is visible (no busy loop; at most one try in 30s).
        this.logger.debug(`Database unavailable (try ${tries}); trying again in ${delayMs} ms.`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    return undefined;
  }
}
