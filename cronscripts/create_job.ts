#!/bin/sh
':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"
// Create a multi-step job and print its id:
//   cronscripts/create_job.ts import_cats --queue_name default --workspace '{"names": ["Tom"]}'
import { CreateJobScript } from '../lib/services/tasks/createJobScript.ts';

process.exitCode = await new CreateJobScript().lockAndRun();
