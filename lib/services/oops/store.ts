import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OopsReport } from './report.ts';

/** `<error_dir>/YYYY-MM-DD/<id>` */
export function oopsPath(errorDir: string, report: OopsReport): string {
  return join(errorDir, report.time.slice(0, 10), report.id);
}

/** Write the report atomically: a reader sees the whole file or none (write, then rename). */
export async function writeOops(errorDir: string, report: OopsReport): Promise<string> {
  const path = oopsPath(errorDir, report);
  await mkdir(join(path, '..'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o640 });
  await rename(temporary, path);
  return path;
}

export async function readOops(path: string): Promise<OopsReport> {
  return JSON.parse(await readFile(path, 'utf8')) as OopsReport;
}

/** Every report under errorDir, oldest day first. */
export async function listOops(errorDir: string): Promise<string[]> {
  const days = (await readdir(errorDir).catch(() => [] as string[])).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
  const paths: string[] = [];
  for (const day of days) {
    const names = (await readdir(join(errorDir, day))).filter((n) => n.startsWith('OOPS-') && !n.endsWith('.tmp')).sort();
    paths.push(...names.map((name) => join(errorDir, day, name)));
  }
  return paths;
}
