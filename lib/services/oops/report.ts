import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { toError } from '../job/interfaces/errors.ts';
import { redactSecrets } from './redact.ts';

/** An OOPS report: what went wrong, where, and what the code was doing. */
export interface OopsReport {
  id: string;
  type: string;
  value: string;
  traceback: string;
  /** ISO 8601, UTC. */
  time: string;
  hostname: string;
  /** `<oops_prefix>-<section>` */
  reporter: string;
  req_vars: Array<[string, string]>;
}

/** OOPS-<prefix><12 hex digits>: unique across hosts without coordination. */
function newOopsId(prefix: string): string {
  return `OOPS-${prefix}${randomBytes(6).toString('hex')}`;
}

export interface CreateOopsOptions {
  reporter: string;
  prefix?: string;
  vars?: Array<[string, string]>;
  now?: Date;
}

export function createOops(thrown: unknown, options: CreateOopsOptions): OopsReport {
  const error = toError(thrown);
  return {
    id: newOopsId(options.prefix ?? ''),
    type: error.name || error.constructor.name,
    value: redactSecrets(error.message),
    traceback: redactSecrets(error.stack ?? `${error.name}: ${error.message}`),
    time: (options.now ?? new Date()).toISOString(),
    hostname: hostname(),
    reporter: options.reporter,
    req_vars: (options.vars ?? []).map(([key, value]) => [key, redactSecrets(String(value))]),
  };
}
