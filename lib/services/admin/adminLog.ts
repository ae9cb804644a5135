import type pg from 'pg';
import { BadAdminRequest } from './errors.ts';

export interface AdminLogRow {
  id: number;
  dateLogged: string;
  operator: string;
  action: string;
  job: number | null;
  oldStatus: string | null;
  newStatus: string | null;
  detail: string | null;
}

/** The newest admin_log entries (of one job, when given), at most `limit`, before `beforeId` when given. */
export async function listAdminLog(client: pg.ClientBase, options: { job?: number; limit?: number; beforeId?: number } = {}): Promise<AdminLogRow[]> {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadAdminRequest(`limit must be a whole number from 1 to 1000, not ${limit}`);
  const result = await client.query<{ id: string; date_logged: Date; operator: string; action: string; job: string | null; old_status: string | null; new_status: string | null; detail: string | null }>(
    `SELECT id, date_logged, operator, action, job, old_status, new_status, detail FROM admin_log
      WHERE ($1::bigint IS NULL OR job = $1) AND ($2::bigint IS NULL OR id < $2)
      ORDER BY id DESC LIMIT $3`,
    [options.job ?? null, options.beforeId ?? null, limit],
  );
  return result.rows.map((row) => ({
    id: Number(row.id), dateLogged: row.date_logged.toISOString(), operator: row.operator, action: row.action,
    job: row.job === null ? null : Number(row.job), oldStatus: row.old_status, newStatus: row.new_status, detail: row.detail,
  }));
}
