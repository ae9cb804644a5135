#!/bin/sh
':' //; exec node --max-semi-space-size=4 --import "$(dirname "$(readlink -f "$0")")/../node_modules/tsx/dist/esm/index.mjs" "$0" "$@"
// Run every ready job of the job source named by a config section, once:
//   cronscripts/run_jobs.ts do_foo
import { JobCronScript } from '../lib/services/job/cronscript.ts';

process.exitCode = await new JobCronScript({ commandlineConfig: true }).lockAndRun();
