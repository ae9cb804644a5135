import type { TaskJobSet } from '../../../services/tasks/taskJobs.ts';
import { defineJobSource } from '../../../services/job/sourceInterface.ts';

/** The job source of the import_cats multi-step job, for a config section:
 *   source_interface: lib.component.cats.interfaces.importCats.IImportCatsJobSource
 * The declaration lets an empty run skip loading it. */
export const IImportCatsJobSource = defineJobSource<TaskJobSet>(
  'IImportCatsJobSource',
  async () => (await import('../importCats.ts')).catJobs,
  { jobTypes: ['import_cats'], jobName: 'import_cats' },
);
