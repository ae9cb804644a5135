import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/errors.ts';
import { PROJECT_ROOT } from '../paths.ts';
import type { IJobSource } from './interfaces/job.ts';

/**
 * A named job source, the counterpart of a Zope interface that getUtility() resolves:
 * config names it by dotted path, and `load()` imports the implementation only when a
 * script asks for it.
 */
export class JobSourceInterface<T extends IJobSource = IJobSource> {
  readonly kind = 'JobSourceInterface';
  constructor(
    readonly name: string,
    private readonly loader: () => Promise<T>,
  ) {}

  async load(): Promise<T> {
    return this.loader();
  }
}

export function defineJobSource<T extends IJobSource>(name: string, loader: () => Promise<T>): JobSourceInterface<T> {
  return new JobSourceInterface(name, loader);
}

function isSourceInterface(value: unknown): value is JobSourceInterface {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'JobSourceInterface';
}

/** Every `export const X = defineJobSource(` under lib/, as dotted paths: for error messages. */
export async function knownSourceInterfaces(root = PROJECT_ROOT): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = await readFile(path, 'utf8');
        for (const match of text.matchAll(/^export const (\w+) = defineJobSource\b/gm)) {
          found.push(`${relative(root, path).replace(/\.ts$/, '').split('/').join('.')}.${match[1]}`);
        }
      }
    }
  };
  await walk(join(root, 'lib'));
  return found.sort();
}

/**
 * Resolve `lib.component.foo.interfaces.foojob.IDoFooJobSource`: the module
 * lib/component/foo/interfaces/foojob.ts, its export IDoFooJobSource, then the source it names.
 */
export async function loadJobSource(dottedPath: string, root = PROJECT_ROOT): Promise<IJobSource> {
  const parts = dottedPath.split('.');
  const exportName = parts.pop();
  const fail = async (problem: string): Promise<never> => {
    const known = await knownSourceInterfaces(root);
    throw new ConfigError(`unknown job source '${dottedPath}': ${problem}; known sources: ${known.join(', ') || 'none'}`);
  };
  if (!exportName || parts.length === 0 || parts.some((part) => !/^[A-Za-z_][\w-]*$/.test(part))) {
    return fail('not a dotted path such as lib.component.foo.interfaces.foojob.IDoFooJobSource');
  }
  const file = join(root, ...parts) + '.ts';
  if (!existsSync(file)) return fail(`tried module ${relative(root, file)}, which does not exist`);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidate = module[exportName];
  if (candidate === undefined) return fail(`module ${relative(root, file)} has no export '${exportName}'`);
  if (!isSourceInterface(candidate)) return fail(`${relative(root, file)} exports '${exportName}', but it was not made with defineJobSource()`);
  const source = await candidate.load();
  if (!Array.isArray(source.jobTypes) || typeof source.fromJobs !== 'function' || typeof source.iterReady !== 'function') {
    return fail(`'${exportName}' loaded something that is not a job source (needs jobTypes, iterReady, fromJobs)`);
  }
  return source;
}
