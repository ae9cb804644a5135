import type { Argv } from 'yargs';
import { CronScript } from '../scripts/cronScript.ts';
import { applySchema, schemaHash } from './applySchema.ts';
import { DatabaseUnavailable } from './connectionErrors.ts';
import { withDatabaseClient } from './databaseClient.ts';
import { resolveDatabase } from './databaseUrl.ts';
import { describeUrl } from './describeUrl.ts';
import { SchemaBehind, schemaState } from './schemaState.ts';

/**
 * Creates or upgrades the database's schema: applies schema.sql unless this version is
 * already recorded in schema_applied. Run by an operator (or a deploy step) as the owner of
 * the tables, with DATABASE_URL or [database] url naming that login; cron runs never do DDL
 * on a configured database. `--check` applies nothing and exits 4 when an upgrade is due.
 */
export class UpgradeSchemaScript extends CronScript {
  readonly scriptName = 'upgrade-schema';

  protected override usage(): string {
    return '$0 [--check]';
  }

  protected override description(): string {
    return 'Create or upgrade the jobsystem schema (schema.sql) in the database of DATABASE_URL, or [database] url, ' +
      'or the embedded PostgreSQL. Run it as the owner of the tables; it is idempotent.';
  }

  protected override defineOptions(argv: Argv): Argv {
    return argv.option('check', { type: 'boolean', default: false, description: 'Apply nothing: exit 0 when the schema is current, 4 when it needs this command' });
  }

  override async main(): Promise<void> {
    const { url } = await resolveDatabase(this.config);
    const hash = schemaHash();
    const version = `schema.sql sha256 ${hash.slice(0, 12)}`;
    if (this.args.check) {
      const state = await withDatabaseClient(url, (client) => schemaState(client, hash));
      if (state !== 'current') throw new SchemaBehind(url, state);
      this.logger.info(`The schema of ${describeUrl(url)} is current (${version}).`);
      return;
    }
    let result: 'applied' | 'current';
    try {
      result = await applySchema(url);
    } catch (error) {
      // insufficient_privilege: the login is not the owner; one line, as for an outage.
      if ((error as { code?: string }).code === '42501') {
        throw new DatabaseUnavailable(`cannot upgrade the schema of ${describeUrl(url)}: ${(error as Error).message}; run this command as the owner of the tables`);
      }
      throw error;
    }
    this.logger.info(
      result === 'applied' ? `Applied ${version} to ${describeUrl(url)}.` : `The schema of ${describeUrl(url)} is current (${version}); nothing to do.`,
    );
  }
}
