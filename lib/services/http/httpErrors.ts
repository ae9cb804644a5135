import type { FastifyError } from 'fastify';
import { InvalidTransition } from '../job/interfaces/errors.ts';

/**
 * The HTTP status of an error, defined once for every route: the admin service layer's typed
 * errors (matched by name, as they cross module copies in tests and builds), Fastify's own
 * (validation 400, body too large 413, bad content type 415), and anything else 500.
 */
const BY_NAME: Record<string, number> = {
  JobNotFound: 404,
  OopsNotFound: 404,
  InvalidTransition: 409,
  JobBusy: 409,
  BadAdminRequest: 400,
  InvalidJobRequest: 400,
  UnknownResourceType: 400,
  ResourceNotFound: 404,
  ResourceAlreadyExists: 409,
  ResourceBusy: 409,
  DatabaseUnavailable: 503,
};

export function httpStatusOf(error: Error): number {
  if (error instanceof InvalidTransition) return 409;
  const byName = BY_NAME[error.name];
  if (byName !== undefined) return byName;
  const fastify = error as FastifyError;
  if (fastify.validation) return 400;
  if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) return fastify.statusCode;
  return 500;
}
