import type pg from 'pg';

const TEXT = `INSERT INTO admin_log (operator, action, job, old_status, new_status, detail)
  VALUES ($1, $2, $3, $4, $5, $6)
  RETURNING id, date_logged`;

export interface AdminLogEntry {
  operator: string;
  action: string;
  job?: number | null;
  oldStatus?: string | null;
  newStatus?: string | null;
  detail?: string | null;
}

/** Record an operator's change; in the change's own transaction when there is one. */
export async function insertAdminLog(client: pg.ClientBase, entry: AdminLogEntry): Promise<{ id: number; dateLogged: Date }> {
  const values = [entry.operator, entry.action, entry.job ?? null, entry.oldStatus ?? null, entry.newStatus ?? null, entry.detail ?? null];
  const row = (await client.query<{ id: string; date_logged: Date }>({ name: 'jobsystem_admin_log_insert', text: TEXT, values })).rows[0]!;
  return { id: Number(row.id), dateLogged: row.date_logged };
}
