import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../clock.ts';
import type { OopsReport } from '../oops/report.ts';
import { readOops } from '../oops/store.ts';
import { BadAdminRequest, OopsNotFound } from './errors.ts';

/** One OOPS report in a listing, or as a job's showJob names it. */
export interface OopsSummary {
  id: string;
  /** ISO 8601, UTC. */
  time: string;
  type: string;
  /** The error message, as the report has it (secrets already masked). */
  value: string;
  reporter: string;
}

export interface OopsListing {
  /** Newest first. */
  reports: OopsSummary[];
  /** True when older reports were left off (raise limit, or give before). */
  more: boolean;
}

export interface OopsListOptions {
  /** Default 50, at most 1000. */
  limit?: number;
  /** Only reports filed before this report id's day and name order (the next page). */
  beforeId?: string;
}

const OOPS_ID = /^OOPS-[0-9A-Za-z]+$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A report id, refused unless it is one (it becomes part of a path). */
function checkOopsId(id: string): string {
  if (!OOPS_ID.test(id)) throw new BadAdminRequest(`'${id}' is not an OOPS id such as OOPS-1a2b3c4d5e6f`);
  return id;
}

function summary(report: OopsReport): OopsSummary {
  return { id: report.id, time: report.time, type: report.type, value: report.value, reporter: report.reporter };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then((stats) => stats.isFile(), () => false);
}

/** The path of report `id` under errorDir (its day folder is not in the id: each is tried, newest first). */
export async function findOopsPath(errorDir: string, id: string): Promise<string | undefined> {
  checkOopsId(id);
  const days = (await readdir(errorDir).catch(() => [] as string[])).filter((day) => DAY.test(day)).sort().reverse();
  for (const day of days) {
    const path = join(errorDir, day, id);
    if (await exists(path)) return path;
  }
  return undefined;
}

/** The whole report `id`; OopsNotFound when there is none. */
export async function showOops(errorDir: string, id: string): Promise<OopsReport> {
  const path = await findOopsPath(errorDir, id);
  if (!path) throw new OopsNotFound(id);
  return readOops(path);
}

/** The summary of report `id`, or null when it is gone (pruned, or filed on another host). */
export async function oopsSummary(errorDir: string, id: string): Promise<OopsSummary | null> {
  const path = await findOopsPath(errorDir, id);
  return path ? summary(await readOops(path)) : null;
}

/** A day's reports, newest first: by the file's time (a report is written once, by a rename), then by name. */
async function dayNewestFirst(dir: string): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => OOPS_ID.test(name));
  const stamped = await Promise.all(names.map(async (name) => ({ name, time: await stat(join(dir, name)).then((stats) => stats.mtimeMs, () => 0) })));
  return stamped.sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : -1)).map(({ name }) => join(dir, name));
}

/**
 * The newest reports, at most `limit`, newest first. Reads the day folders from the newest,
 * only as many as the page needs, and only the reports it returns.
 */
export async function listOopsReports(errorDir: string, options: OopsListOptions = {}): Promise<OopsListing> {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadAdminRequest(`limit must be a whole number from 1 to 1000, not ${limit}`);
  const beforeId = options.beforeId === undefined ? undefined : checkOopsId(options.beforeId);
  const days = (await readdir(errorDir).catch(() => [] as string[])).filter((day) => DAY.test(day)).sort().reverse();
  const paths: string[] = [];
  let started = beforeId === undefined;
  for (const day of days) {
    if (paths.length > limit) break;
    for (const path of await dayNewestFirst(join(errorDir, day))) {
      if (started) paths.push(path);
      else if (path.endsWith(`/${beforeId}`)) started = true;
    }
  }
  if (!started) throw new OopsNotFound(beforeId!);
  const reports: OopsSummary[] = [];
  for (const path of paths.slice(0, limit)) {
    // A report removed between the listing and the read (a concurrent prune) is skipped.
    const report = await readOops(path).catch(() => undefined);
    if (report) reports.push(summary(report));
  }
  return { reports, more: paths.length > limit };
}

export interface OopsPruneResult {
  deleted: number;
  cutoff: Date;
}

/**
 * Delete the reports filed before now - olderThanMs. Day folders wholly before the cutoff go
 * without reading their reports; in the cutoff's own day each report's time decides.
 */
export async function pruneOops(errorDir: string, olderThanMs: number, clock: Clock = systemClock): Promise<OopsPruneResult> {
  if (!(olderThanMs >= 0)) throw new BadAdminRequest(`older than must not be negative, not ${olderThanMs}`);
  const cutoff = new Date(clock.now().getTime() - olderThanMs);
  const cutoffDay = cutoff.toISOString().slice(0, 10);
  let deleted = 0;
  const days = (await readdir(errorDir).catch(() => [] as string[])).filter((day) => DAY.test(day) && day <= cutoffDay);
  for (const day of days) {
    const dir = join(errorDir, day);
    for (const name of (await readdir(dir)).filter((name) => OOPS_ID.test(name))) {
      const path = join(dir, name);
      if (day === cutoffDay) {
        const report = await readOops(path).catch(() => undefined);
        if (!report || new Date(report.time) >= cutoff) continue;
      }
      await rm(path, { force: true });
      deleted += 1;
    }
    // The folder goes when nothing is left in it (a report being written keeps it).
    if (day < cutoffDay) await rmdir(dir).catch(() => undefined);
  }
  return { deleted, cutoff };
}
