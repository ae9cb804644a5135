// The README's job board example, as written: a conductor process and a poster process.
import { spawn } from 'node:child_process';
import test from 'ava';
import { fromRoot } from '../lib/services/paths.ts';
import { waitFor } from './helpers/scriptedSection.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'boardexample');

function run(script: string, args: string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env, JOBS_CONFIG: db().configFile };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ['--import', 'tsx/esm', fromRoot(script), ...args], { cwd: fromRoot('.'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

test('a poster process posts a thumbnail job, a conductor process does it, and the poster sees it consumed', async (t) => {
  const conductor = run('lib/component/thumbnails/thumbnailConductor.ts');
  t.teardown(() => {
    conductor.child.kill('SIGKILL');
  });
  await waitFor('the conductor to wait', async () => conductor.output().includes('Waiting for thumbnail jobs.'));
  const poster = run('lib/component/thumbnails/postThumbnail.ts', ['cat.png', '64']);
  t.is(await poster.exited, 0, poster.output());
  t.regex(poster.output(), /^Posted board job (\d+) \(thumbnail\) of board thumbnails\.\nboard job \1 \(thumbnail\) of board thumbnails was consumed\.\n$/);
  await waitFor('the thumbnail', async () => conductor.output().includes('Made a 64px thumbnail of cat.png.'));
  conductor.child.kill('SIGTERM');
  t.is(await conductor.exited, 0, conductor.output());
  t.is(conductor.output(), 'Waiting for thumbnail jobs.\nMade a 64px thumbnail of cat.png.\nStopped after 1 job(s).\n');
});
