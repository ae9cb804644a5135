import type { ResourceRefusal } from './errors.ts';
import { ResourceAlreadyExists, ResourceNotFound } from './errors.ts';

/** What a job does to its resource (Cast's job options). */
export const ResourceOption = {
  CREATE: 'CREATE',
  DELETE: 'DELETE',
  UPDATE: 'UPDATE',
} as const;
export type ResourceOption = (typeof ResourceOption)[keyof typeof ResourceOption];

const ALL = Object.values(ResourceOption);

/** The column's text: sorted, unique, comma-separated ('' for none). */
export function encodeOptions(options: readonly string[]): string {
  for (const option of options) {
    if (!ALL.includes(option as ResourceOption)) throw new Error(`unknown resource option '${option}' (options: ${ALL.join(', ')})`);
  }
  return [...new Set(options)].sort().join(',');
}

export function decodeOptions(text: string | null): ResourceOption[] {
  return text ? (text.split(',') as ResourceOption[]) : [];
}

/** Whether the resource exists after a job with these options, given whether it did before. */
export function existsAfter(options: readonly ResourceOption[], existedBefore: boolean): boolean {
  if (options.includes('CREATE')) return true;
  if (options.includes('DELETE')) return false;
  return existedBefore;
}

/**
 * Why a job with these options cannot run on a resource that will (or will not) exist, or
 * null when it can: a job that only creates needs a missing resource (409 otherwise);
 * CREATE with UPDATE or DELETE is accepted either way; every other job needs the resource.
 */
export function refusalFor(title: string, name: string, options: readonly ResourceOption[], exists: boolean): ResourceRefusal | null {
  if (options.includes('CREATE')) {
    if (options.includes('UPDATE') || options.includes('DELETE')) return null;
    return exists ? new ResourceAlreadyExists(title, name) : null;
  }
  return exists ? null : new ResourceNotFound(title, name);
}
