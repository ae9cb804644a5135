import { closeSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import winston from 'winston';
import Transport from 'winston-transport';
import { redactSecrets } from '../oops/redact.ts';

/** What library code logs through; scripts pass theirs in, tests pass a DevNullLogger. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

/** Discards everything (the seed's DevNullLogger, for quiet tests). */
export class DevNullLogger implements Logger {
  debug(): void {}
  info(): void {}
  warning(): void {}
  error(): void {}
}

/** Keeps every line in memory, for tests that read what was logged. */
export class ListLogger implements Logger {
  readonly lines: string[] = [];
  debug(message: string): void { this.lines.push(`DEBUG ${message}`); }
  info(message: string): void { this.lines.push(`INFO ${message}`); }
  warning(message: string): void { this.lines.push(`WARNING ${message}`); }
  error(message: string): void { this.lines.push(`ERROR ${message}`); }
}

const LEVELS = { error: 0, warning: 1, info: 2, debug: 3 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface ScriptLoggerOptions {
  level: LogLevel;
  timestamps: boolean;
  logFile?: string;
  /** Called for every WARNING or ERROR line (the script files an OOPS for it). */
  onProblem?: (level: LogLevel, message: string) => void;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Launchpad's format: `2026-11-23 18:00:00 INFO    message`, local time. */
function lineFormat(timestamps: boolean) {
  return winston.format.printf((info) => {
    const level = String(info.level).toUpperCase().padEnd(7);
    const message = redactSecrets(String(info.message));
    if (!timestamps) return `${level} ${message}`;
    const d = new Date();
    const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    return `${stamp} ${level} ${message}`;
  });
}

class ProblemTransport extends Transport {
  constructor(private readonly onProblem: (level: LogLevel, message: string) => void) {
    super({ level: 'warning' });
  }
  override log(info: { level: string; message: unknown }, next: () => void): void {
    this.onProblem(info.level as LogLevel, String(info.message));
    next();
  }
}

/** The --log-file cannot be written: one line saying what to do (bad input). */
export class LogFileError extends Error {
  override name = 'LogFileError';
}

/**
 * Check that the log file can be opened for appending, before the logger opens it (winston
 * would report it later as an unhandled 'error' event, and create missing folders on the way).
 */
export function checkLogFile(path: string): void {
  const folder = dirname(resolve(path));
  let folderCode: string | undefined;
  try {
    if (!statSync(folder).isDirectory()) folderCode = 'ENOTDIR';
  } catch (error) {
    folderCode = (error as NodeJS.ErrnoException).code ?? 'unknown';
  }
  if (folderCode === 'ENOENT') {
    throw new LogFileError(`cannot write the log file ${path}: its folder ${folder} does not exist; create the folder, or name another --log-file`);
  }
  if (folderCode) throw new LogFileError(`cannot write the log file ${path}: cannot use its folder ${folder} (${folderCode}); name another --log-file`);
  try {
    closeSync(openSync(path, 'a'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    const why = code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `cannot create it there (${code})`;
    throw new LogFileError(`cannot write the log file ${path}: ${why}; name a file this user can write with --log-file`);
  }
}

/** A winston logger writing to stderr (and a file), wrapped in the Logger interface. */
export function createScriptLogger(options: ScriptLoggerOptions): Logger & { close(): Promise<void> } {
  const transports: Transport[] = [
    new winston.transports.Console({ stderrLevels: Object.keys(LEVELS) }),
  ];
  if (options.logFile) transports.push(new winston.transports.File({ filename: options.logFile }));
  if (options.onProblem) transports.push(new ProblemTransport(options.onProblem));
  const logger = winston.createLogger({
    levels: LEVELS,
    level: options.level,
    format: lineFormat(options.timestamps),
    transports,
  });
  // A log file that fails later (disk full, removed folder) is said once on stderr; the run goes on.
  let fileFailed = false;
  logger.on('error', (error: unknown) => {
    if (fileFailed) return;
    fileFailed = true;
    process.stderr.write(`ERROR   cannot write the log file ${options.logFile}: ${error instanceof Error ? error.message : String(error)}\n`);
  });
  const debugging = LEVELS[options.level] >= LEVELS.debug;
  return {
    // Dropped here, not in winston: a run logs a debug line per job, and winston would format
    // (and redact) every one of them before its transports throw them away.
    debug: debugging ? (message) => logger.debug(message) : () => undefined,
    info: (message) => logger.info(message),
    warning: (message) => logger.log('warning', message),
    error: (message) => logger.error(message),
    close: () =>
      new Promise<void>((resolve) => {
        if (!options.logFile) return resolve();
        logger.on('finish', () => resolve());
        logger.end();
      }),
  };
}
