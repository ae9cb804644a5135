#!/bin/sh
':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"
// The operators' command: look at jobs and OOPS reports, retry, suspend, resume, cancel, prune.
//   cronscripts/jobs.ts list --status FAILED
//   cronscripts/jobs.ts retry 42 --as alice
import { JobsScript } from '../lib/services/admin/jobsScript.ts';

process.exitCode = await new JobsScript().lockAndRun();
