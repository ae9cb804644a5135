// The bench's jobs on resources: a 'benchslot' resource type that always exists (no table of
// its own, so a run measures the job system's cost), and a job on it that does nothing.
import { ResourceJob } from '../lib/services/resources/resourceJob.ts';
import { defineResourceJobs } from '../lib/services/resources/resourceJobSource.ts';
import { ResourceOption } from '../lib/services/resources/resourceOptions.ts';
import { registerResourceType } from '../lib/services/resources/resourceTypes.ts';

export const benchSlotType = registerResourceType<{ name: string }>({
  name: 'benchslot',
  title: 'Bench slot',
  exists: async () => true,
  read: async (name) => ({ name }),
  list: async () => [],
});

export class NoopResourceJob extends ResourceJob {
  static override resourceType = benchSlotType;
  static override resourceOptions = [ResourceOption.UPDATE];
  async perform(): Promise<null> {
    return null;
  }
}

export const noopResourceJobs = defineResourceJobs('NoopResourceJob', [NoopResourceJob]);
