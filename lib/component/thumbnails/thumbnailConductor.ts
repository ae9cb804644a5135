// The conductor of the job board example: takes thumbnail jobs off the board "thumbnails" until
// stopped (Ctrl-C or SIGTERM). Run several, in several processes or on several hosts: each job
// is done once.
//   npx tsx lib/component/thumbnails/thumbnailConductor.ts
import { hostname } from 'node:os';
import { Conductor } from '../../services/board/conductor.ts';
import { JobBoard } from '../../services/board/jobBoard.ts';
import { loadConfig } from '../../services/config/loadConfig.ts';
import { applySchema } from '../../services/database/applySchema.ts';
import { resolveDatabaseUrl } from '../../services/database/databaseUrl.ts';

const url = await resolveDatabaseUrl(loadConfig());
await applySchema(url);
const board = new JobBoard('thumbnails', { url });
await board.connect();
const conductor = new Conductor(board, `${hostname()}:${process.pid}`, async (details) => {
  // The real work goes here; what it throws is recorded on the job, which is consumed anyway.
  if (typeof details.image !== 'string') throw new TypeError('no image named');
  console.log(`Made a ${String(details.size)}px thumbnail of ${details.image}.`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void conductor.stop());
console.log('Waiting for thumbnail jobs.');
const dispatched = await conductor.run();
await board.close();
console.log(`Stopped after ${dispatched} job(s).`);
