import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import { encodePayload, NOTIFY_CHANNEL, type NotifyPayload } from './payload.ts';

const TEXT = 'SELECT pg_notify($1, $2)';

/**
 * Send `payload` on the job system's channel through the caller's connection or transaction.
 * pg_notify is transactional: listeners receive it when the caller's transaction commits, and
 * never if it rolls back, so a notification never runs ahead of the rows it talks about.
 */
export async function notify(target: pg.ClientBase | EntityManager, payload: NotifyPayload, channel = NOTIFY_CHANNEL): Promise<void> {
  const params = [channel, encodePayload(payload)];
  // Two branches for the type checker: the two query() signatures do not unite.
  if (isEntityManager(target)) {
    await target.query(TEXT, params);
  } else {
    await target.query(TEXT, params);
  }
}

function isEntityManager(target: pg.ClientBase | EntityManager): target is EntityManager {
  // Checked by shape so that this module does not load TypeORM (the worker's listener does not need it).
  return typeof (target as Partial<EntityManager>).transaction === 'function';
}
