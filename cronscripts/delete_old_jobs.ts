#!/bin/sh
':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"
// Delete COMPLETED and FAILED jobs older than a duration (default 24h), with their domain rows:
//   cronscripts/delete_old_jobs.ts --older-than 7d
import { DeleteOldJobsScript } from '../lib/services/admin/deleteOldJobsScript.ts';

process.exitCode = await new DeleteOldJobsScript().lockAndRun();
