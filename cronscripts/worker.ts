#!/bin/sh
':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"
// Stay up and run the jobs of the named queues as they are created (LISTEN/NOTIFY and a slow
// poll), with run_jobs' runner:
//   cronscripts/worker.ts [queue_name ...] [--section NAME ...] [--poll 10s]
import { WorkerScript } from '../lib/services/worker/workerScript.ts';

process.exitCode = await new WorkerScript().lockAndRun();
