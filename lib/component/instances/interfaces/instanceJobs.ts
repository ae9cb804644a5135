import type { ResourceJobSource } from '../../../services/resources/resourceJobSource.ts';
import { defineJobSource } from '../../../services/job/sourceInterface.ts';

/** The job source of the instance jobs, for a config section:
 *   source_interface: lib.component.instances.interfaces.instanceJobs.IInstanceJobSource
 * The declaration lets an empty run skip loading it. */
export const IInstanceJobSource = defineJobSource<ResourceJobSource>(
  'IInstanceJobSource',
  async () => (await import('../instanceJobs.ts')).instanceJobs,
  { jobTypes: ['CreateInstanceJob', 'UpgradeInstanceJob', 'DeleteInstanceJob'], jobName: 'InstanceJob' },
);
