import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root: the folder that holds package.json, schema.sql and config/. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Resolve a path from configuration: absolute paths stay, relative ones are taken from the project root. */
export function fromRoot(path: string): string {
  return resolve(PROJECT_ROOT, path);
}
