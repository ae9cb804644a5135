import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/errors.ts';
import { CODE_EXTENSION, CODE_ROOT, PROJECT_ROOT } from '../paths.ts';
import type { IJobSource } from './interfaces/job.ts';

/**
 * What a source interface may say about its source without loading it: the job types it
 * runs and the name its jobs are counted under. With both, an empty run of its section asks
 * the database one question and loads neither the source nor TypeORM.
 */
export interface JobSourceDeclaration {
  /** The job_type values the source runs: must equal the loaded source's jobTypes. */
  jobTypes: readonly string[];
  /** The name in `Ran N <name> jobs.`: must equal the loaded source's name. */
  jobName: string;
}

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
    readonly declared?: JobSourceDeclaration,
  ) {}

  /** The source; when it was declared, checked against the declaration. */
  async load(): Promise<T> {
    const source = await this.loader();
    if (!Array.isArray(source?.jobTypes) || typeof source.fromJobs !== 'function' || typeof source.iterReady !== 'function') {
      throw new ConfigError(`${this.name} loaded something that is not a job source (needs jobTypes, iterReady, fromJobs)`);
    }
    const declared = this.declared;
    if (declared && !sameDeclaration(declared, source)) {
      throw new ConfigError(
        `${this.name} declares job types [${declared.jobTypes.join(', ')}] named ${declared.jobName}, ` +
          `but the source it loads runs [${source.jobTypes.join(', ')}] named ${source.name}`,
      );
    }
    return source;
  }
}

function sameDeclaration(declared: JobSourceDeclaration, source: IJobSource): boolean {
  const sorted = (types: readonly string[]) => [...types].sort().join('\n');
  return declared.jobName === source.name && sorted(declared.jobTypes) === sorted(source.jobTypes);
}

export function defineJobSource<T extends IJobSource>(
  name: string,
  loader: () => Promise<T>,
  declared?: JobSourceDeclaration,
): JobSourceInterface<T> {
  return new JobSourceInterface(name, loader, declared);
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
 * lib/component/foo/interfaces/foojob.ts and its export IDoFooJobSource (not yet the source).
 */
export async function findJobSourceInterface(dottedPath: string): Promise<JobSourceInterface> {
  const parts = dottedPath.split('.');
  const exportName = parts.pop();
  const fail = async (problem: string): Promise<never> => {
    const known = await knownSourceInterfaces();
    throw new ConfigError(`unknown job source '${dottedPath}': ${problem}; known sources: ${known.join(', ') || 'none'}`);
  };
  if (!exportName || parts.length === 0 || parts.some((part) => !/^[A-Za-z_][\w-]*$/.test(part))) {
    return fail('not a dotted path such as lib.component.foo.interfaces.foojob.IDoFooJobSource');
  }
  // The module as it is run: the .ts file through tsx, its .js under dist/ when compiled.
  const file = join(CODE_ROOT, ...parts) + CODE_EXTENSION;
  const name = join(...parts) + '.ts';
  if (!existsSync(file)) return fail(`tried module ${name}, which does not exist`);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidate = module[exportName];
  if (candidate === undefined) return fail(`module ${name} has no export '${exportName}'`);
  if (!isSourceInterface(candidate)) return fail(`${name} exports '${exportName}', but it was not made with defineJobSource()`);
  return candidate;
}

/** The job source a dotted path names (findJobSourceInterface, then load). */
export async function loadJobSource(dottedPath: string): Promise<IJobSource> {
  return (await findJobSourceInterface(dottedPath)).load();
}
