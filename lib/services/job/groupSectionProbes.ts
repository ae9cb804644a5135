import { join } from 'node:path';
import type pg from 'pg';
import type { Config } from '../config/loadConfig.ts';
import { openDatabaseClient } from '../database/databaseClient.ts';
import { resolveDatabase, type ResolvedDatabase } from '../database/databaseUrl.ts';
import { sectionLogin } from '../database/sectionLogin.ts';
import { LockBusy, LockFile } from '../scripts/lockFile.ts';
import type { Logger } from '../scripts/logger.ts';
import { ensureSchemaCurrent, sectionHasWork, sectionSourceInterface } from './sectionProbe.ts';

/** What the probe of one section decided: start its run_jobs, or not. */
export type ProbeOutcome =
  /** Start `run_jobs.ts <section>`: it has work, asks for isolation, or could not be probed
   * here (its own run then reports the problem in its own words and exit status). */
  | { run: true; why: 'work' | 'isolated' | 'undeclared' | 'unprobed' }
  /** Nothing to start: empty, disabled, or its lock is held by a run still going. */
  | { run: false; why: 'empty' | 'disabled' | 'busy' };

/**
 * The empty-run probe of run_jobs, for many sections in one process (process-job-source-groups):
 * each section is asked about as its own login and role, under its own lock file, on one plain
 * connection per login and role, opened when first needed and kept for the next sections.
 * TypeORM, the job sources and the runner are never loaded here.
 */
export class GroupSectionProbes {
  private database: Promise<ResolvedDatabase> | undefined;
  private readonly connections = new Map<string, Promise<pg.Client>>();

  constructor(private readonly config: Config, private readonly lockDir: string, private readonly logger: Logger) {}

  /** Probe `name`, logging what run_jobs would have logged when it starts none. */
  async probe(name: string): Promise<ProbeOutcome> {
    const section = this.config.section(name);
    if (!section.boolean('enabled')) {
      this.logger.info(`[${name}] is disabled in config (enabled: false); nothing to do.`);
      return { run: false, why: 'disabled' };
    }
    // A section whose jobs run isolated asks for a process of its own every time.
    if (section.boolean('isolated')) return { run: true, why: 'isolated' };
    let declared;
    try {
      declared = (await sectionSourceInterface(this.config, name)).declared;
    } catch {
      return { run: true, why: 'unprobed' };
    }
    // Without declared job types, only the loaded source could say: that is run_jobs' work.
    if (!declared) return { run: true, why: 'undeclared' };
    // The section's own lock, held while it is probed: a run of it still going is skipped,
    // as its run_jobs would be. Released before its run_jobs starts, which takes it again.
    const lock = new LockFile(join(this.lockDir, `${name}.lock`));
    try {
      lock.acquire();
    } catch (error) {
      if (!(error instanceof LockBusy)) return { run: true, why: 'unprobed' };
      this.logger.info(error.message);
      return { run: false, why: 'busy' };
    }
    try {
      if (lock.tookOver) this.logger.info(`Took over stale lockfile ${lock.path} (it named ${lock.tookOver}).`);
      const database = await (this.database ??= resolveDatabase(this.config));
      const login = sectionLogin(section, database.url, process.env, database.pooler);
      const client = await this.connection(database, login);
      if (await sectionHasWork(client, section, login, declared)) return { run: true, why: 'work' };
    } catch {
      // An outage, a role that cannot be taken, a schema behind: its run says which, once.
      return { run: true, why: 'unprobed' };
    } finally {
      lock.release();
    }
    this.logger.info(`Ran 0 ${declared.jobName} jobs.`);
    return { run: false, why: 'empty' };
  }

  /** The connection of a login and role, its schema checked once when it opens. */
  private connection(database: ResolvedDatabase, login: { url: string; role: string | undefined }): Promise<pg.Client> {
    const key = `${login.role ?? ''}\n${login.url}`;
    let connection = this.connections.get(key);
    if (!connection) {
      connection = (async () => {
        const client = await openDatabaseClient(login.url, database.pooler);
        try {
          await ensureSchemaCurrent(client, database, login);
        } catch (error) {
          await client.end().catch(() => undefined);
          throw error;
        }
        return client;
      })();
      // A failed open is not kept: the next section of this login tries again.
      connection.catch(() => this.connections.delete(key));
      this.connections.set(key, connection);
    }
    return connection;
  }

  /** End every connection. */
  async close(): Promise<void> {
    const connections = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(connections.map(async (connection) => (await connection.catch(() => undefined))?.end().catch(() => undefined)));
  }
}
