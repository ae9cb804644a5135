#!/bin/sh
':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"
// Serve the HTTP jobs API, the status page and /metrics until SIGTERM:
//   cronscripts/jobs-api.ts [--host 127.0.0.1] [--port 8085]
import { JobsApiScript } from '../lib/services/http/jobsApiScript.ts';

process.exitCode = await new JobsApiScript().lockAndRun();
