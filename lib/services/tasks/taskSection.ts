import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/errors.ts';
import type { ConfigSection } from '../config/loadConfig.ts';
import { defineJobSource, type JobSourceInterface } from '../job/sourceInterface.ts';
import { CODE_EXTENSION, CODE_ROOT } from '../paths.ts';
import type { CreationHook, FailureHook, Task } from './taskJob.ts';
import type { TaskJobSet } from './taskJobs.ts';

/** True when a job section defines a multi-step job by its `tasks:` key. */
export function isTaskSection(section: ConfigSection): boolean {
  // An empty list value parses as [] (or '' when the key is absent from the schema's default).
  return section.declares('tasks') && (section.optional<string[]>('tasks')?.length ?? 0) > 0;
}

/**
 * The function a dotted path names, resolved as source_interface is:
 * `lib.component.cats.importCats.stepOne` is the export stepOne of lib/component/cats/importCats.ts.
 */
export async function resolveFunction(dottedPath: string, where: string): Promise<(...args: never[]) => unknown> {
  const parts = dottedPath.split('.');
  const exportName = parts.pop();
  if (!exportName || parts.length === 0 || parts.some((part) => !/^[A-Za-z_][\w-]*$/.test(part))) {
    throw new ConfigError(`${where}: '${dottedPath}' is not a dotted path such as lib.component.cats.importCats.stepOne`);
  }
  const file = join(CODE_ROOT, ...parts) + CODE_EXTENSION;
  const name = join(...parts) + '.ts';
  if (!existsSync(file)) throw new ConfigError(`${where}: '${dottedPath}': tried module ${name}, which does not exist`);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const value = module[exportName];
  if (typeof value !== 'function') {
    throw new ConfigError(`${where}: '${dottedPath}': module ${name} has ${value === undefined ? 'no export' : 'an export that is not a function named'} '${exportName}'`);
  }
  return value as (...args: never[]) => unknown;
}

/**
 * The job source of a section that names its tasks in the ini file:
 *   [import_dogs]
 *   link: job_runner
 *   dbuser: importdogs
 *   tasks: lib.component.dogs.importDogs.stepOne, lib.component.dogs.importDogs.stepTwo
 * The section's name is the job name (job_type). Declared, so an empty run loads nothing;
 * the tasks are imported when the source is loaded.
 */
export function taskSectionSourceInterface(sectionName: string, section: ConfigSection): JobSourceInterface<TaskJobSet> {
  if (section.optional('source_interface') !== undefined) {
    throw new ConfigError(`[${sectionName}] sets both tasks and source_interface: a job section runs one or the other`);
  }
  if (section.boolean('isolated')) {
    throw new ConfigError(`[${sectionName}] names its tasks in the config, which isolated: true does not support yet: define them with defineTaskJobs() and a source_interface instead`);
  }
  const paths = section.list('tasks');
  const onCreate = section.optional<string>('on_create');
  const onFailure = section.optional<string>('on_failure');
  return defineJobSource<TaskJobSet>(
    `[${sectionName}] tasks`,
    async () => {
      const where = `[${sectionName}] tasks`;
      const tasks = (await Promise.all(paths.map((path) => resolveFunction(path, where)))) as Task[];
      const { defineTaskJobs } = await import('./taskJobs.ts');
      return defineTaskJobs({
        [sectionName]: {
          tasks,
          ...(onCreate ? { onCreate: (await resolveFunction(onCreate, `[${sectionName}] on_create`)) as CreationHook } : {}),
          ...(onFailure ? { onFailure: (await resolveFunction(onFailure, `[${sectionName}] on_failure`)) as FailureHook } : {}),
        },
      });
    },
    { jobTypes: [sectionName], jobName: sectionName },
  );
}
