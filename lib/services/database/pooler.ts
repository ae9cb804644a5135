import { ConfigError } from '../config/errors.ts';
import type { Config } from '../config/loadConfig.ts';

/**
 * What stands between the scripts and PostgreSQL ([database] pooler):
 * - `none`: the server itself. The section's role travels as a startup option and hot-path
 *   statements are named prepared statements (parsed and planned once per connection).
 * - `session`: a pooler in session mode (PgBouncer `pool_mode = session`). It refuses the
 *   startup option, so the role is taken with SET ROLE when a connection opens; the client
 *   keeps its server connection for its whole session, so named statements and LISTEN work.
 * - `transaction`: a pooler in transaction mode (PgBouncer `pool_mode = transaction`). Each
 *   transaction may run on another server connection: no session state survives, so
 *   statements are sent unnamed, the section must log in as its role (no SET ROLE), and
 *   LISTEN needs a direct connection ([database] listen_url).
 */
export const POOLERS = ['none', 'session', 'transaction'] as const;
export type Pooler = (typeof POOLERS)[number];

/** [database] pooler, checked. */
export function databasePooler(config: Config): Pooler {
  const value = config.section('database').optional<string>('pooler') || 'none';
  if ((POOLERS as readonly string[]).includes(value)) return value as Pooler;
  throw new ConfigError(`[database] pooler in ${config.file} is '${value}': write none, session or transaction`);
}
