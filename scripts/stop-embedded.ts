// npm run db:stop: stop the embedded PostgreSQL of this checkout (the one in
// [database] embedded_data_dir), if it runs. Scripts start it on demand and leave it running
// for the next run; CI stops it at the end so that it leaves no server behind.
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { embeddedOptions } from '../lib/services/database/databaseUrl.ts';
import { embeddedServerRunning, stopEmbeddedPostgres } from '../lib/services/database/embeddedPostgres.ts';

const options = embeddedOptions(loadConfig());
if (embeddedServerRunning(options.dataDir)) {
  await stopEmbeddedPostgres(options);
  console.log(`Stopped the embedded PostgreSQL in ${options.dataDir}.`);
} else {
  console.log(`The embedded PostgreSQL in ${options.dataDir} is not running.`);
}
