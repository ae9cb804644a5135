import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** An Ajv instance with the project's JSON Schema settings (the HTTP API's validators too). */
export function newAjv(options: Options): Ajv {
  const instance = new Ajv({ removeAdditional: false, useDefaults: true, allErrors: false, strict: false, discriminator: true, ...options });
  addFormats.default(instance);
  return instance;
}

let strict: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Why `workspace` does not match a job name's workspaceSchema, or undefined when it does. The
 * rule of POST /jobs's body: the workspace is taken as given (never coerced: "5" is not a
 * number), an unknown property is refused where the schema says so, and the schema's defaults
 * are filled in.
 */
export function workspaceMismatch(schema: Readonly<Record<string, unknown>>, workspace: Record<string, unknown>): string | undefined {
  let validate = compiled.get(schema);
  if (!validate) {
    strict ??= newAjv({ coerceTypes: false });
    validate = strict.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(workspace)) return undefined;
  const error = validate.errors?.[0];
  if (!error) return 'it does not match';
  const extra = (error.params as { additionalProperty?: string }).additionalProperty;
  return `${error.instancePath || 'the workspace'} ${error.message ?? 'does not match'}${extra ? ` ('${extra}')` : ''}`;
}
