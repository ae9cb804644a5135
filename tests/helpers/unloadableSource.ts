// A job source whose implementation cannot be loaded: a run that loads it fails, so a run
// that succeeds proves the source was never loaded (an empty run answered by the probe).
import type { IJobSource } from '../../lib/services/job/interfaces/job.ts';
import { defineJobSource } from '../../lib/services/job/sourceInterface.ts';

/** source_interface: tests.helpers.unloadableSource.IUnloadableJobSource */
export const IUnloadableJobSource = defineJobSource<IJobSource>(
  'IUnloadableJobSource',
  async () => {
    throw new Error('IUnloadableJobSource was loaded');
  },
  { jobTypes: ['UnloadableJob'], jobName: 'UnloadableJob' },
);
