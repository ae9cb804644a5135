// Run one child process and measure it from spawn to exit: wall time, exit status, peak RSS
// and CPU time. Peak RSS and CPU time come from GNU time (`/usr/bin/time -f '%M %U %S'`, the
// Debian package `time`) when it is installed; otherwise peak RSS comes from polling the
// child's VmHWM in /proc and CPU time is not measured.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const GNU_TIME = '/usr/bin/time';
export const rssMethod = existsSync(GNU_TIME) ? 'GNU time %M (max RSS of the child)' : '/proc/<pid>/status VmHWM, polled every 50 ms';

export interface ProcessRun {
  command: string;
  wallMs: number;
  exitCode: number | null;
  signal: string | null;
  /** Peak resident set size in KiB, or null when it could not be read. */
  peakRssKb: number | null;
  /** User + system CPU time of the child, in ms (less disturbed by other load than wall time). */
  cpuMs: number | null;
  logFile: string;
}

export interface ProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr of the child go here (appended). */
  logFile: string;
  timeoutMs: number;
}

function readHwm(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export async function runProcess(command: string, args: string[], options: ProcessOptions): Promise<ProcessRun> {
  const log = openSync(options.logFile, 'a');
  const rssFile = `${options.logFile}.rss-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const useTime = existsSync(GNU_TIME);
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, command, ...args]] : [command, args];
  const started = performance.now();
  // Its own process group, so a timeout ends the child and anything it started (GNU time's
  // child), and nothing else.
  const child = spawn(file, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', log, log], detached: true });
  if (child.pid) liveGroups.add(child.pid);
  let polledRss: number | null = null;
  const poller = useTime ? undefined : setInterval(() => {
    polledRss = (child.pid && readHwm(child.pid)) ?? polledRss;
  }, 50);
  const timer = setTimeout(() => {
    if (child.pid) killGroup(child.pid);
  }, options.timeoutMs);
  const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve([code, sig]));
  });
  const wallMs = performance.now() - started;
  if (child.pid) liveGroups.delete(child.pid);
  clearTimeout(timer);
  if (poller) clearInterval(poller);
  closeSync(log);
  let peakRssKb: number | null = polledRss;
  let cpuMs: number | null = null;
  if (useTime) {
    const text = existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) ?? '' : '';
    const match = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(text);
    peakRssKb = match ? Number(match[1]) : null;
    cpuMs = match ? (Number(match[2]) + Number(match[3])) * 1000 : null;
    rmSync(rssFile, { force: true });
  }
  return { command: [command, ...args].join(' '), wallMs, exitCode, signal, peakRssKb, cpuMs, logFile: options.logFile };
}

const liveGroups = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Ctrl-C on the bench ends the children it started (they run in their own groups). */
export function killChildrenOnInterrupt(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const pid of liveGroups) killGroup(pid);
      process.exit(130);
    });
  }
}

/** The last lines of a child's log, for an error message. */
export function logTail(logFile: string, lines = 5): string {
  try {
    return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** A long-running child (a worker that stays up), in its own process group. */
export interface RunningProcess {
  pid: number;
  logFile: string;
  /** User + system CPU time so far of every process of its group, in ms (/proc/<pid>/stat). */
  cpuMs(): number;
  /** Resolves once its log contains `text`; rejects at the deadline or if it exits first. */
  waitForLog(text: string, timeoutMs: number): Promise<void>;
  /** SIGTERM, then wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<{ exitCode: number | null; signal: string | null }>;
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime (ms) of the processes whose process group is `group`. */
export function groupCpuMs(group: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name, in parentheses, may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15.
    if (Number(fields[2]) !== group) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** utime + stime (ms) of one process, 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export function startProcess(command: string, args: string[], options: Omit<ProcessOptions, 'timeoutMs'>): RunningProcess {
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  if (!child.pid) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  liveGroups.add(pid);
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    child.on('exit', (exitCode, signal) => {
      liveGroups.delete(pid);
      resolve({ exitCode, signal });
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  return {
    pid,
    logFile: options.logFile,
    cpuMs: () => groupCpuMs(pid),
    async waitForLog(text, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        if (existsSync(options.logFile) && readFileSync(options.logFile, 'utf8').includes(text)) return;
        if (hasExited) throw new Error(`${command} exited before logging '${text}': ${logTail(options.logFile)}`);
        if (performance.now() > deadline) throw new Error(`${command} did not log '${text}' within ${timeoutMs} ms: ${logTail(options.logFile)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop(graceMs = 10_000) {
      if (!hasExited) {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      const timer = setTimeout(() => killGroup(pid), graceMs);
      const outcome = await exited;
      clearTimeout(timer);
      return outcome;
    },
  };
}
