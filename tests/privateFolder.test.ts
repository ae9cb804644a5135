// Run as root, the embedded PostgreSQL runs as user postgres, which must be able to enter
// every folder on the way to its programs and its cluster. A checkout under a private folder
// (mode 700, as /root is) is refused up front with one line saying what to do.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { DoFooJob } from '../lib/component/foo/model/dofoojob.ts';
import { unreachableFolder } from '../lib/services/database/embeddedPostgres.ts';
import { makeFoo, reloadJob } from './helpers/factory.ts';
import { runScript } from './helpers/runScript.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const db = useTestDatabase(test, 'private_folder');
const asRoot = process.getuid?.() === 0;

/** The ids the embedded server runs as when we are root; `nobody` otherwise (any other user). */
function otherUser(): { uid: number; gid: number } {
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
  } catch {
    return { uid: 65534, gid: 65534 };
  }
}

/** A folder made like `mkdir -m 700`, owned by the user running the tests, and a public one beside it. */
function folders(t: ExecutionContext): { private: string; public: string } {
  const base = mkdtempSync(join(tmpdir(), 'jobsystem-private-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  chmodSync(base, 0o755);
  const privateFolder = join(base, 'private');
  mkdirSync(privateFolder, { mode: 0o700 });
  chmodSync(privateFolder, 0o700);
  const publicFolder = join(base, 'public');
  mkdirSync(publicFolder, { mode: 0o755 });
  return { private: privateFolder, public: publicFolder };
}

test.serial('a folder under a private folder is unreachable for another user, and the private folder is named', (t) => {
  const { uid, gid } = otherUser();
  const dirs = folders(t);
  mkdirSync(join(dirs.private, 'checkout', 'var'), { recursive: true });
  const blocked = unreachableFolder([join(dirs.private, 'checkout', 'var', 'postgres')], uid, gid);
  t.deepEqual(blocked, { folder: dirs.private, mode: 0o700, ownerUid: process.getuid!() });
});

test.serial('a program inside a private folder is unreachable for another user', (t) => {
  const { uid, gid } = otherUser();
  const dirs = folders(t);
  const bin = join(dirs.private, 'node_modules', 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'initdb'), '');
  t.is(unreachableFolder([join(bin, 'initdb')], uid, gid)?.folder, dirs.private);
});

test.serial('a folder every user may enter is reachable, including parts not made yet', (t) => {
  const { uid, gid } = otherUser();
  const dirs = folders(t);
  t.is(unreachableFolder([join(dirs.public, 'var', 'postgres')], uid, gid), undefined);
});

(asRoot ? test.serial : test.serial.skip)('run as root, an embedded cluster under a private folder is one line, exit 3, and nothing is touched', async (t) => {
  const foo = await makeFoo(db().admin.manager);
  const jobId = (await DoFooJob.create(db().admin.manager, foo)).job.id;
  const dirs = folders(t);
  const dataDir = join(dirs.private, 'postgres');
  const config = join(db().dir, 'private.ini');
  writeFileSync(config, `[meta]\nextends: ${db().configFile}\n\n[database]\nurl:\nembedded_data_dir: ${dataDir}\n`);
  const result = await runScript('cronscripts/run_jobs.ts', ['do_foo'], { env: { JOBS_CONFIG: config } });
  t.is(result.code, 3, result.stderr);
  t.is(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  t.is(lines.length, 1, result.stderr);
  t.is(
    lines[0],
    `ERROR   run_jobs: the embedded PostgreSQL runs as user postgres (PostgreSQL refuses to run as root), which cannot enter ${dirs.private} (mode 700, owner root) to reach ${dataDir}: ` +
      `move the checkout to a folder other users can enter, run chmod o+x ${dirs.private}, set [database] embedded_data_dir to such a folder, or set DATABASE_URL (TEST_DATABASE_URL for the tests) to a PostgreSQL server of your own`,
  );
  t.false(existsSync(dataDir));
  const job = await reloadJob(db().admin.manager, jobId);
  t.is(job.status, 'WAITING');
  t.is(job.attemptCount, 0);
});
