import pg from 'pg';
import { DataSource, type EntitySchema } from './typeorm.ts';
import { DatabaseUnavailable } from './connectionErrors.ts';
import { describeUrl } from './databaseUrl.ts';
import { useFastTimestamptz } from './parseTimestamptz.ts';
import { checkRoleName } from './roleName.ts';

export { DatabaseUnavailable };
import { ENTITIES } from '../../entities.ts';

// job.id is bigint; ids stay far below 2^53, so read them as numbers everywhere.
pg.defaults.parseInt8 = true;
useFastTimestamptz();

export interface OpenOptions {
  /** Run every statement as this role (SET ROLE at connection start); it must exist. */
  role?: string;
  poolSize?: number;
  applicationName?: string;
  entities?: EntitySchema<any>[];
}


/**
 * Open a TypeORM DataSource on `url`. With `role`, every connection of its pool starts as
 * that role (libpq's `options=-c role=...`): the section's grants apply to everything its
 * jobs do, as Launchpad's dbuser does. The login user must be a member of the role.
 */
export async function openDataSource(url: string, options: OpenOptions = {}): Promise<DataSource> {
  if (options.role) checkRoleName(options.role);
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities: options.entities ?? ENTITIES,
    synchronize: false,
    logging: false,
    poolSize: options.poolSize ?? 4,
    applicationName: options.applicationName ?? 'jobsystem',
    extra: {
      ...(options.role ? { options: `-c role=${options.role}` } : {}),
      connectionTimeoutMillis: 10_000,
    },
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    const reason = (error as Error).message || String(error);
    throw new DatabaseUnavailable(`cannot use the database at ${describeUrl(url)}${options.role ? ` as role ${options.role}` : ''}: ${reason}`);
  }
  return dataSource;
}
