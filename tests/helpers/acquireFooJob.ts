#!/bin/sh
':' //; exec node --import "$(dirname "$(readlink -f "$0")")/../../node_modules/tsx/dist/esm/index.mjs" "$0" "$@"
// Test helper process: wait at a barrier (an advisory lock the test holds until every such
// process waits on it), acquire the DoFooJob of a foo, print its id.
import { DoFooJob } from '../../lib/component/foo/model/dofoojob.ts';
import { FooEntity } from '../../lib/component/foo/model/foo.ts';
import { loadConfig } from '../../lib/services/config/loadConfig.ts';
import { openDataSource } from '../../lib/services/database/dataSource.ts';

const [fooId, barrier] = process.argv.slice(2).map(Number);
const url = loadConfig().section('database').string('url');
const dataSource = await openDataSource(url, { poolSize: 1 });
const foo = await dataSource.manager.findOneByOrFail(FooEntity, { id: fooId! });
await dataSource.query('SELECT pg_advisory_lock_shared($1)', [barrier]);
await dataSource.query('SELECT pg_advisory_unlock_shared($1)', [barrier]);
const job = await dataSource.transaction((manager) => DoFooJob.acquire(manager, foo));
process.stdout.write(`${job.job.id}\n`);
await dataSource.destroy();
