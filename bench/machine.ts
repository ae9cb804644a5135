// What the figures were measured on.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fromRoot } from '../lib/services/paths.ts';

export interface MachineInfo {
  date: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  postgresSettings: Record<string, string>;
  graphileWorker: string;
  jobsystemCommit: string;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** HEAD, and whether lib/, cronscripts/ or schema.sql had uncommitted changes when measured. */
function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: fromRoot('.'), encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib', 'cronscripts', 'schema.sql'], { cwd: fromRoot('.'), encoding: 'utf8' }).trim();
    return dirty ? `${head} + uncommitted changes in lib/cronscripts/schema.sql` : head;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(postgres: string, postgresSettings: Record<string, string>, graphileWorker: string): MachineInfo {
  return {
    date: new Date().toISOString(),
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres,
    postgresSettings,
    graphileWorker,
    jobsystemCommit: commit(),
  };
}
