import type pg from 'pg';
import { BadAdminRequest } from './errors.ts';
import { insertAdminLog, type AdminLogEntry } from './sql/insertAdminLog.ts';

/** Who makes a change, and where its log line goes. */
export interface Operator {
  /** The --as name or OS user of the command line, or the API token's name. */
  name: string;
  /** Called with one line per change, after it committed (a logger's info). */
  log?: (line: string) => void;
}

export function checkOperator(operator: Operator): void {
  if (typeof operator.name !== 'string' || operator.name.trim() === '' || operator.name.length > 200 || /[\r\n]/.test(operator.name)) {
    throw new BadAdminRequest('the operator must be named (one line, at most 200 characters)');
  }
}

/** Record `entry` in admin_log as made by `operator`; returns the entry's id and time (ISO). */
export async function logAdminAction(client: pg.ClientBase, operator: Operator, entry: Omit<AdminLogEntry, 'operator'>): Promise<{ logId: number; dateLogged: string }> {
  const logged = await insertAdminLog(client, { ...entry, operator: operator.name });
  return { logId: logged.id, dateLogged: logged.dateLogged.toISOString() };
}

/**
 * Run `work` in a transaction of its own on `client` (which must not be in one), waiting at
 * most `lockTimeoutMs` for a row lock: a change and its admin_log entry commit together.
 */
export async function inAdminTransaction<T>(client: pg.ClientBase, work: () => Promise<T>, lockTimeoutMs = 10_000): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
    const value = await work();
    await client.query('COMMIT');
    return value;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
