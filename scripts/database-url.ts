// npm run -s db:url: print the URL scripts connect to (DATABASE_URL, [database] url, or the
// embedded PostgreSQL of this checkout, started if it is not running), with schema.sql
// applied, e.g. for psql:
//   psql "$(npm run -s db:url)"
import { loadConfig } from '../lib/services/config/loadConfig.ts';
import { applySchema } from '../lib/services/database/applySchema.ts';
import { resolveDatabaseUrl } from '../lib/services/database/databaseUrl.ts';

const url = await resolveDatabaseUrl(loadConfig());
await applySchema(url);
console.log(url);
