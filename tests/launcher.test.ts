// lib/services/scripts/launch.sh, in a small project of its own: it runs the compiled script
// only while the build was made from the .ts files as they are now, and the source otherwise.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { fromRoot } from '../lib/services/paths.ts';

const HEADER = `#!/bin/sh\n':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"\n`;

// File times come from the kernel's coarse clock (a few ms): steps that must be told apart by
// time are this far apart.
const TICK_MS = 50;
const tick = () => execFileSync('sleep', [String(TICK_MS / 1000)]);

/** A project with one script, cronscripts/hello.ts (plain JavaScript inside), tsx, and a
 * build of it (its "compiled" output says so) made after the sources. */
function project(): { root: string; run(): string; build(): void } {
  const root = mkdtempSync(join(tmpdir(), 'launcher-'));
  mkdirSync(join(root, 'lib/services/scripts'), { recursive: true });
  for (const file of ['launch.sh', 'sources.sh']) copyFileSync(fromRoot(`lib/services/scripts/${file}`), join(root, 'lib/services/scripts', file));
  chmodSync(join(root, 'lib/services/scripts/launch.sh'), 0o755);
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(fromRoot('node_modules/tsx'), join(root, 'node_modules/tsx'));
  mkdirSync(join(root, 'cronscripts'));
  writeFileSync(join(root, 'cronscripts/hello.ts'), `${HEADER}console.log('source', process.argv.slice(2).join(' '));\n`);
  chmodSync(join(root, 'cronscripts/hello.ts'), 0o755);
  writeFileSync(join(root, 'lib/other.ts'), 'export {};\n');
  const build = () => {
    tick();
    mkdirSync(join(root, 'dist/cronscripts'), { recursive: true });
    writeFileSync(join(root, 'dist/cronscripts/hello.js'), `console.log('compiled', process.argv.slice(2).join(' '));\n`);
    const list = execFileSync('sh', ['-c', `. ./lib/services/scripts/sources.sh; ts_sources "$PWD"`], { cwd: root, encoding: 'utf8' });
    writeFileSync(join(root, 'dist/.built'), list);
    tick();
  };
  build();
  const run = () => execFileSync(join(root, 'cronscripts/hello.ts'), ['a b', 'c'], { cwd: tmpdir(), encoding: 'utf8' }).trim();
  return { root, run, build };
}

test('a build made from the sources as they are runs, with the arguments as given', (t) => {
  const { root, run } = project();
  try {
    t.is(run(), 'compiled a b c');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a source changed after the build runs through tsx until the next build', (t) => {
  const { root, run, build } = project();
  try {
    writeFileSync(join(root, 'lib/other.ts'), 'export const changed = true;\n');
    t.is(run(), 'source a b c');
    build();
    t.is(run(), 'compiled a b c');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a source added or deleted after the build makes it stale; the list is what counts', (t) => {
  const { root, run } = project();
  try {
    // A file that keeps an old time (as cp -p or rsync -a would leave it) is still a new file.
    writeFileSync(join(root, 'lib/added.ts'), 'export {};\n');
    utimesSync(join(root, 'lib/added.ts'), new Date(0), new Date(0));
    t.is(run(), 'source a b c');
    rmSync(join(root, 'lib/added.ts'));
    rmSync(join(root, 'lib/other.ts'));
    t.is(run(), 'source a b c');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('without a build, the source runs', (t) => {
  const { root, run } = project();
  try {
    rmSync(join(root, 'dist'), { recursive: true });
    t.is(run(), 'source a b c');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
