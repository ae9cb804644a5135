import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { processAlive } from '../processAlive.ts';

export class LockBusy extends Error {
  override name = 'LockBusy';
  constructor(readonly path: string) {
    super(`Lockfile ${path} in use`);
  }
}

/**
 * A lock file holding `host:pid`. Created with O_EXCL, so two scripts cannot both create it;
 * a file left by a process that is gone (killed, crashed) is stale and taken over, so the
 * lock dies with its process as flock would. Removed on release and on process exit.
 */
export class LockFile {
  private held = false;
  private readonly onExit = () => this.release();

  constructor(readonly path: string) {}

  acquire(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, 'wx', 0o644);
        writeSync(fd, `${hostname()}:${process.pid}\n`);
        closeSync(fd);
        this.held = true;
        process.once('exit', this.onExit);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (!this.isStale()) throw new LockBusy(this.path);
        try {
          unlinkSync(this.path);
        } catch {
          // another process removed it first; try again
        }
      }
    }
    throw new LockBusy(this.path);
  }

  private isStale(): boolean {
    let content: string;
    try {
      content = readFileSync(this.path, 'utf8').trim();
    } catch {
      return true;
    }
    const [host, pid] = content.split(':');
    // A lock from another host (shared folder) is never judged from here.
    if (host !== hostname()) return false;
    const number = Number(pid);
    return !Number.isInteger(number) || number <= 0 || !processAlive(number);
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
