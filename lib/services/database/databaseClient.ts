import pg from 'pg';
import { DatabaseUnavailable } from './connectionErrors.ts';
import { describeUrl } from './describeUrl.ts';
import type { Pooler } from './pooler.ts';
import { sendUnnamedStatements } from './preparedStatements.ts';

/**
 * One plain connection to `url` (no pool, no TypeORM), for the caller to end. A failure to
 * connect is a DatabaseUnavailable naming the server, without its password. Behind a
 * transaction-mode `pooler` the connection sends its statements unnamed.
 */
export async function openDatabaseClient(url: string, pooler: Pooler = 'none'): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  if (pooler === 'transaction') sendUnnamedStatements(client);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new DatabaseUnavailable(`cannot use the database at ${describeUrl(url)}: ${(error as Error).message}`);
  }
  return client;
}

/** Run `use` on one plain connection to `url` (openDatabaseClient), then close it. */
export async function withDatabaseClient<T>(url: string, use: (client: pg.Client) => Promise<T>, pooler: Pooler = 'none'): Promise<T> {
  const client = await openDatabaseClient(url, pooler);
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Act as `role` from now on (`SET ROLE`), as a section's jobs do: its grants, and no more. A
 * role that does not exist, or that the login user may not take, cannot be used: that is a
 * DatabaseUnavailable naming the role.
 */
export async function setRole(client: pg.ClientBase, role: string, url: string): Promise<void> {
  try {
    await client.query(`SET ROLE ${client.escapeIdentifier(role)}`);
  } catch (error) {
    throw new DatabaseUnavailable(`cannot use the database at ${describeUrl(url)} as role ${role}: ${(error as Error).message}`);
  }
}
