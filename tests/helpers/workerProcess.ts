// A cronscripts/worker.ts process (or another script's) for tests: its output, its exit, and a wait for a log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { fromRoot } from '../../lib/services/paths.ts';
import { waitFor } from './scriptedSection.ts';

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Wait (generously) until the output matches `pattern`. */
  waitForLine(pattern: RegExp): Promise<void>;
}

export function startWorker(configFile: string, args: string[], extraEnv: Record<string, string> = {}): WorkerProcess {
  return startProcess('cronscripts/worker.ts', configFile, args, extraEnv);
}

/** Start the executable `script` (a path from the project root) on the database of `configFile`. */
export function startProcess(script: string, configFile: string, args: string[], extraEnv: Record<string, string> = {}): WorkerProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, JOBS_CONFIG: configFile };
  delete env.DATABASE_URL;
  const child = spawn(fromRoot(script), args, { cwd: '/', env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitForLine: async (pattern) => {
      await waitFor(`${script} output ${pattern}`, async () => pattern.test(output));
    },
  };
}
