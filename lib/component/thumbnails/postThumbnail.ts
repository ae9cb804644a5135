// The poster of the job board example: posts one thumbnail job on the board "thumbnails" and
// waits until a conductor has consumed it.
//   npx tsx lib/component/thumbnails/postThumbnail.ts cat.png 64
import { JobBoard } from '../../services/board/jobBoard.ts';
import { loadConfig } from '../../services/config/loadConfig.ts';
import { applySchema } from '../../services/database/applySchema.ts';
import { resolveDatabaseUrl } from '../../services/database/databaseUrl.ts';

const [image = 'cat.png', size = '64'] = process.argv.slice(2);
const url = await resolveDatabaseUrl(loadConfig()); // DATABASE_URL, [database] url, or the embedded PostgreSQL
await applySchema(url); // development only: production applies schema.sql with npm run db:upgrade
const board = new JobBoard('thumbnails', { url });
await board.connect();
try {
  const job = await board.post('thumbnail', { image, size: Number(size) });
  console.log(`Posted ${job}.`);
  const consumed = await job.wait(60_000);
  console.log(consumed ? `${job} was consumed.` : `Nobody consumed ${job} within a minute; it stays on the board.`);
} finally {
  await board.close();
}
