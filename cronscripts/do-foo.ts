#!/bin/sh
':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"
// Run pending DoFooJobs (the seed's custom cron script): cronscripts/do-foo.ts
import { IDoFooJobSource } from '../lib/component/foo/interfaces/foojob.ts';
import { JobCronScript } from '../lib/services/job/cronscript.ts';

class RunDoFoo extends JobCronScript {
  override readonly scriptName = 'do-foo';
  // The config section that tells JobCronScript what to do.
  override configName = 'do_foo';
  // The job source that finds pending jobs.
  override sourceInterface = IDoFooJobSource;
}

process.exitCode = await new RunDoFoo().lockAndRun();
