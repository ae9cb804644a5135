import pg from 'pg';
import { DataSource, type EntitySchema } from './typeorm.ts';
import { DatabaseUnavailable } from './connectionErrors.ts';
import { describeUrl } from './databaseUrl.ts';
import { useFastTimestamptz } from './parseTimestamptz.ts';
import type { Pooler } from './pooler.ts';
import { sendUnnamedStatements } from './preparedStatements.ts';
import { checkRoleName } from './roleName.ts';

export { DatabaseUnavailable };
import { ENTITIES } from '../../entities.ts';

// job.id is bigint; ids stay far below 2^53, so read them as numbers everywhere.
pg.defaults.parseInt8 = true;
useFastTimestamptz();

export interface OpenOptions {
  /** Run every statement as this role (SET ROLE at connection start); it must exist. */
  role?: string;
  /** What `url` reaches ([database] pooler, pooler.ts); default none, the server itself. */
  pooler?: Pooler;
  poolSize?: number;
  applicationName?: string;
  entities?: EntitySchema<any>[];
}


/**
 * Open a TypeORM DataSource on `url`. With `role`, every connection of its pool starts as
 * that role: the section's grants apply to everything its jobs do, as Launchpad's dbuser
 * does. The login user must be a member of the role. On the server itself the role travels
 * in the startup packet (libpq's `options=-c role=...`, no extra round trip); a pooler
 * refuses that option, so behind a session-mode pooler each new connection sends SET ROLE
 * (the pooler's server_reset_query undoes it when the client leaves). Behind a
 * transaction-mode pooler no session state survives a transaction: the login must be the
 * role itself (sectionLogin refuses anything else), and statements go unnamed.
 */
export async function openDataSource(url: string, options: OpenOptions = {}): Promise<DataSource> {
  if (options.role) checkRoleName(options.role);
  const pooler = options.pooler ?? 'none';
  if (options.role && pooler === 'transaction') {
    throw new Error(`cannot take role ${options.role} behind a transaction-mode pooler: log in as the role itself`);
  }
  const role = options.role;
  const onConnect = pooler === 'transaction'
    ? (client: pg.Client) => sendUnnamedStatements(client)
    : pooler === 'session' && role
      ? async (client: pg.Client) => void (await client.query(`SET ROLE ${client.escapeIdentifier(role)}`))
      : undefined;
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities: options.entities ?? ENTITIES,
    synchronize: false,
    logging: false,
    poolSize: options.poolSize ?? 4,
    applicationName: options.applicationName ?? 'jobsystem',
    extra: {
      ...(role && pooler === 'none' ? { options: `-c role=${role}` } : {}),
      ...(onConnect ? { onConnect } : {}),
      connectionTimeoutMillis: 10_000,
    },
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    const reason = (error as Error).message || String(error);
    throw new DatabaseUnavailable(`cannot use the database at ${describeUrl(url)}${options.role ? ` as role ${options.role}` : ''}: ${reason}`);
  }
  // pool.query() (an autocommit statement) hands its query config to a pooled client as is.
  if (pooler === 'transaction') sendUnnamedStatements((dataSource.driver as unknown as { master: object }).master);
  return dataSource;
}
