import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);

/** True when this code runs compiled (from dist/, built by `npm run build`), not through tsx. */
export const COMPILED = HERE.endsWith('.js');

/** The root of the code being run: the project's root, or its dist/ folder when compiled. */
export const CODE_ROOT = resolve(dirname(HERE), '..', '..');

/** The extension of the code being run: `.ts` through tsx, `.js` compiled. */
export const CODE_EXTENSION = COMPILED ? '.js' : '.ts';

/** The project's root: the folder that holds package.json, schema.sql and config/. */
export const PROJECT_ROOT = COMPILED ? resolve(CODE_ROOT, '..') : CODE_ROOT;

/** Resolve a path from configuration: absolute paths stay, relative ones are taken from the project root. */
export function fromRoot(path: string): string {
  return resolve(PROJECT_ROOT, path);
}
