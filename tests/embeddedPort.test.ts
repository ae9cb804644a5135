// The embedded PostgreSQL's port is derived from its folder's path. When something else holds
// that port (say, the server of a deleted checkout at the same path, still running), the error
// says so and how to get out of it.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { ensureEmbeddedPostgres } from '../lib/services/database/embeddedPostgres.ts';
import { fromRoot } from '../lib/services/paths.ts';

test('a taken port is named, with what to do about it', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  const dir = join('var', 'tests', `port-${randomBytes(4).toString('hex')}`);
  try {
    const error = await t.throwsAsync(ensureEmbeddedPostgres({ dataDir: join(dir, 'postgres'), port }));
    t.regex(error!.message, new RegExp(`did not start \\(port ${port} on 127\\.0\\.0\\.1 is taken by another process, .*set \\[database\\] embedded_port\\): .*could not create listen socket`));
  } finally {
    holder.close();
    rmSync(fromRoot(dir), { recursive: true, force: true });
  }
});
