const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE']);
// admin_shutdown, crash_shutdown, cannot_connect_now
const SERVER_GONE_CODES = new Set(['57P01', '57P02', '57P03']);

/** True when the error means the database went away or cannot be reached (not a bad query). */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_GONE_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error|Client was closed|connection is closed/i.test(message);
}

/** A database that cannot be reached or used, described in one line. */
export class DatabaseUnavailable extends Error {
  override name = 'DatabaseUnavailable';
}
