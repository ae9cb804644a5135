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
interface Project {
  root: string;
  run(): string;
  build(): void;
}

function project(): Project {
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

/** Run `body` on a new project, removed afterwards. */
function inProject(body: (made: Project) => void): void {
  const made = project();
  try {
    body(made);
  } finally {
    rmSync(made.root, { recursive: true, force: true });
  }
}

test('a build made from the sources as they are runs, with the arguments as given', (t) => {
  inProject(({ run }) => {
    t.is(run(), 'compiled a b c');
  });
});

test('a source changed after the build runs through tsx until the next build', (t) => {
  inProject(({ root, run, build }) => {
    writeFileSync(join(root, 'lib/other.ts'), 'export const changed = true;\n');
    t.is(run(), 'source a b c');
    build();
    t.is(run(), 'compiled a b c');
  });
});

test('a source added or deleted after the build makes it stale; the list is what counts', (t) => {
  inProject(({ root, run }) => {
    // A file that keeps an old time (as cp -p or rsync -a would leave it) is still a new file.
    writeFileSync(join(root, 'lib/added.ts'), 'export {};\n');
    utimesSync(join(root, 'lib/added.ts'), new Date(0), new Date(0));
    t.is(run(), 'source a b c');
    rmSync(join(root, 'lib/added.ts'));
    rmSync(join(root, 'lib/other.ts'));
    t.is(run(), 'source a b c');
  });
});

test('without a build, the source runs', (t) => {
  inProject(({ root, run }) => {
    rmSync(join(root, 'dist'), { recursive: true });
    t.is(run(), 'source a b c');
  });
});
