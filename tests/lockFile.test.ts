// The lock file of a section, in process: who holds it, and taking over a stale one without
// removing a fresh one.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { judgeLockContent, LockBusy, lockContent, LockFile, type LockHolder } from '../lib/services/scripts/lockFile.ts';

function lockPath(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobsystem-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'lock', 'do_foo.lock');
}

test('a lock holds host, pid and start time, and a second acquire is busy while it is held', (t) => {
  const path = lockPath(t);
  const first = new LockFile(path);
  first.acquire();
  t.teardown(() => first.release());
  t.regex(readFileSync(path, 'utf8'), new RegExp(`^${hostname()}:${process.pid}:\\d+\\n$`));
  const error = t.throws(() => new LockFile(path).acquire(), { instanceOf: LockBusy });
  t.regex(error!.message, new RegExp(`^Lockfile ${path} in use by pid ${process.pid} on host ${hostname()} since .* ago\\); if that process is not a run of this script, remove the lock: rm ${path}$`));
});

test('release removes the lock file', (t) => {
  const path = lockPath(t);
  const lock = new LockFile(path);
  lock.acquire();
  lock.release();
  t.false(existsSync(path));
});

test("this process's own lock content is judged held", (t) => {
  t.deepEqual(judgeLockContent(lockContent()), { held: true, description: `pid ${process.pid} on host ${hostname()}` });
});

test('taking over a stale lock leaves a fresh lock that replaced it in place', (t) => {
  const path = lockPath(t);
  const folderMaker = new LockFile(path);
  folderMaker.acquire(); // makes the folder
  folderMaker.release();
  const staleContent = `${hostname()}:999999\n`;
  const stale: LockHolder = { content: staleContent, modified: new Date(), ...judgeLockContent(staleContent) };
  t.false(stale.held);
  // Between this process's read and its removal, another run took the stale lock over.
  const fresh = `${hostname()}:${process.pid}:1\n`;
  writeFileSync(path, fresh);
  const late = new LockFile(path);
  (late as unknown as { takeOver(holder: LockHolder): void }).takeOver(stale);
  t.is(readFileSync(path, 'utf8'), fresh);
  t.is(late.tookOver, undefined);
});
