import type { Pooler } from '../database/pooler.ts';
import type { OopsReport } from '../oops/report.ts';
import type { LogLevel } from '../scripts/logger.ts';
import type { Outcome } from './runner.ts';

/** What an isolated worker process is started with. */
export interface WorkerOptions {
  sourceInterface: string;
  databaseUrl: string;
  /** SET ROLE on every connection; undefined when the login is the section's role. */
  role: string | undefined;
  /** What databaseUrl reaches: the server, or a pooler ([database] pooler). */
  pooler: Pooler;
  owner: string;
  leaseMs: number;
  errorDir: string;
  reporter: string;
}

export type ParentMessage = { type: 'run'; jobId: number };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'done'; jobId: number; outcome: Outcome; oops?: OopsReport }
  | { type: 'error'; message: string };
