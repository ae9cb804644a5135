#!/bin/sh
':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"
// Run every ready job of the job source named by a config section, once:
//   cronscripts/run_jobs.ts do_foo
import { JobCronScript } from '../lib/services/job/cronscript.ts';

process.exitCode = await new JobCronScript({ commandlineConfig: true }).lockAndRun();
