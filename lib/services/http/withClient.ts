import type pg from 'pg';
import type { DataSource } from 'typeorm';

/** A client of the pool under the DataSource: the admin service layer works on plain pg clients. */
export async function withClient<T>(dataSource: DataSource, use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await use(client);
  } catch (error) {
    // A connection that failed mid-statement is not given back to the pool.
    if ((error as { code?: string }).code === undefined && /connection|terminat/i.test((error as Error).message)) broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}
