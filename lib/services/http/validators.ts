import type { FastifySchemaCompiler } from 'fastify';
import { newAjv as ajv } from '../tasks/workspaceSchema.ts';

/**
 * Request validation with one rule per part: a query string or path parameter is text, so it
 * is coerced to the declared type (`?limit=20` is the integer 20); a JSON body is taken as
 * sent, never coerced (`"names": "Tom"` is not an array of names, `"priority": "5"` not a
 * number), and an unknown property is refused, not dropped.
 */
export function requestValidators(): FastifySchemaCompiler<unknown> {
  const coercing = ajv({ coerceTypes: true });
  const strict = ajv({ coerceTypes: false });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}
