import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { processAlive } from '../processAlive.ts';
import { processCommandLine, processStartTime } from '../processStartTime.ts';

/** Another run holds the lock: the message says whose it is, since when, and how to clear it. */
export class LockBusy extends Error {
  override name = 'LockBusy';
  constructor(readonly path: string, holder = '') {
    super(`Lockfile ${path} in use${holder}`);
  }
}

/** The lock file cannot be made where it was asked for (bad input: the folder). */
export class LockPathError extends Error {
  override name = 'LockPathError';
}

/** What an existing lock file says, and whether its holder still runs. */
export interface LockHolder {
  /** The file's text; undefined when it could not be read. */
  content: string | undefined;
  /** True: a live run holds it. False: stale (holder gone, pid reused, empty, garbage, unreadable). */
  held: boolean;
  /** Why it is judged so, for messages: `pid 123 on host a`, `empty`, ... */
  description: string;
  modified: Date | undefined;
}

/** `host:pid:start` of this process (start: its start time in /proc, when there is one). */
export function lockContent(): string {
  const start = processStartTime('self');
  return `${hostname()}:${process.pid}${start ? `:${start}` : ''}\n`;
}

/** Judge a lock file's text. A lock from another host (shared folder) is never judged stale here. */
export function judgeLockContent(content: string | undefined): Omit<LockHolder, 'content' | 'modified'> {
  if (content === undefined) return { held: false, description: 'unreadable' };
  const text = content.trim();
  if (text === '') return { held: false, description: 'empty' };
  const match = /^([^\s:]+):(\d+)(?::(\d+))?$/.exec(text);
  if (!match) return { held: false, description: `not host:pid but '${text.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}'` };
  const [, host, pidText, start] = match;
  const pid = Number(pidText);
  const who = `pid ${pid} on host ${host}`;
  if (host !== hostname()) return { held: true, description: who };
  if (pid <= 0 || !processAlive(pid)) return { held: false, description: `${who}, which is not running` };
  if (start !== undefined) {
    const now = processStartTime(pid);
    // The same pid started at another time is another process: the holder is gone.
    if (now !== undefined && now !== start) return { held: false, description: `${who}, now another process` };
    return { held: true, description: who };
  }
  // Written without a start time (an older version): a live pid counts only if it runs a script.
  const commandLine = processCommandLine(pid);
  if (commandLine !== undefined && !/cronscripts\//.test(commandLine)) {
    return { held: false, description: `${who}, which is not a cron script` };
  }
  return { held: true, description: who };
}

function readLock(path: string): LockHolder | 'gone' {
  let modified: Date | undefined;
  try {
    modified = statSync(path).mtime;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
  }
  let content: string | undefined;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
  }
  return { content, modified, ...judgeLockContent(content) };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function describeAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)} days`;
}

/** ` by pid 12 on host a since 2026-11-27 08:40:12 (3m 5s ago); ...`: the tail of the busy message. */
function describeHolder(path: string, holder: LockHolder, now = new Date()): string {
  const d = holder.modified;
  const since = d
    ? ` since ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} (${describeAge(now.getTime() - d.getTime())} ago)`
    : '';
  return ` by ${holder.description}${since}; if that process is not a run of this script, remove the lock: rm ${path}`;
}

/**
 * Create `dir` and its missing parents one at a time. Not mkdirSync's recursive mode: under
 * /proc it retries forever; here each missing folder is tried once, so it ends with an error.
 */
export function makeFolder(dir: string, what: string): void {
  const missing: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    try {
      if (!statSync(current).isDirectory()) throw new LockPathError(`${what} ${dir}: ${current} is not a folder`);
      break;
    } catch (error) {
      if (error instanceof LockPathError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new LockPathError(`${what} ${dir}: cannot use ${current} (${code})`);
      missing.unshift(current);
      if (dirname(current) === current) break;
    }
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new LockPathError(`${what} ${dir}: cannot create ${folder} (${code})`);
    }
  }
}

/**
 * A lock file holding `host:pid:start`. Created with O_EXCL, so two scripts cannot both
 * create it; a file whose process is gone (killed, crashed), whose pid now belongs to another
 * process, or that is empty, garbage or unreadable, is stale and taken over, so the lock dies
 * with its process as flock would. Removed on release and on process exit.
 */
export class LockFile {
  private held = false;
  private readonly onExit = () => this.release();
  /** What acquire() found and took over, for the log: `pid 12 on host a, which is not running`. */
  tookOver: string | undefined;

  constructor(readonly path: string) {}

  acquire(): void {
    const advice = 'set --lock-dir or [scripts] lock_dir to a folder this user can write';
    try {
      makeFolder(dirname(this.path), 'cannot make the lock folder');
    } catch (error) {
      throw new LockPathError(`${(error as Error).message}; ${advice}`);
    }
    let last: LockHolder | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(this.path, 'wx', 0o644);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw new LockPathError(`cannot create lock file ${this.path} (${code}); ${advice}`);
        const found = readLock(this.path);
        if (found === 'gone') continue;
        last = found;
        if (found.held) throw new LockBusy(this.path, describeHolder(this.path, found));
        this.takeOver(found);
        continue;
      }
      try {
        writeSync(fd, lockContent());
      } finally {
        closeSync(fd);
      }
      this.held = true;
      process.once('exit', this.onExit);
      return;
    }
    throw new LockBusy(this.path, last ? describeHolder(this.path, last) : '');
  }

  /**
   * Remove a stale lock file without removing a fresh one: another process may have taken the
   * stale file over between our read and our removal. The file is moved aside in one rename
   * (of two processes, one gets it), and put back with link(), which never replaces a file,
   * when what was moved is not what was judged stale.
   */
  private takeOver(stale: LockHolder): void {
    const aside = `${this.path}.stale.${process.pid}`;
    try {
      renameSync(this.path, aside);
    } catch {
      return; // gone already: another process took it over first
    }
    let moved: string | undefined;
    try {
      moved = readFileSync(aside, 'utf8');
    } catch {
      moved = undefined;
    }
    if (moved !== stale.content) {
      try {
        linkSync(aside, this.path);
      } catch {
        // a third process created the lock meanwhile: it holds it
      }
    } else {
      this.tookOver = stale.description;
    }
    try {
      unlinkSync(aside);
    } catch {
      // already gone
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    process.removeListener('exit', this.onExit);
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
