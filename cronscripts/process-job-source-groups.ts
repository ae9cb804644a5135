#!/bin/sh
':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"
// Run every job section of the given crontab groups, one after another:
//   cronscripts/process-job-source-groups.ts MAIN [-e IDoFooJobSource]
// The exit status is the number of sections that failed (0: all ran).
import { ProcessJobSourceGroups } from '../lib/services/job/processJobSourceGroups.ts';

process.exitCode = await new ProcessJobSourceGroups().lockAndRun();
