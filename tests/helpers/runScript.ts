// Run a cron script as a real process, as cron would (Launchpad's run_script).
import { spawn } from 'node:child_process';
import { fromRoot } from '../../lib/services/paths.ts';

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `script` (a path from the project root) and collect its exit and output; a run that
 * takes over `timeoutMs` (default 5 minutes: a generous bound, for a busy machine) is killed. */
export function runScript(script: string, args: string[] = [], options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    delete env.DATABASE_URL;
    if (options.env?.DATABASE_URL) env.DATABASE_URL = options.env.DATABASE_URL;
    const child = spawn(fromRoot(script), args, { cwd: options.cwd ?? '/', env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
