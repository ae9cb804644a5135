// How cronscripts/jobs.ts prints each result for people (--json prints the objects as they are).
import type { AdminLogRow } from './adminLog.ts';
import type { JobChange } from './changeJobStatus.ts';
import type { JobListing } from './listJobs.ts';
import type { OopsListing } from './oopsReports.ts';
import type { JobPruneReport, OopsPruneReport } from './pruneAsOperator.ts';
import type { JobDetails } from './showJob.ts';
import { clip, shortTime, textTable } from './textTable.ts';
import type { UnservedReport } from './unservedJobTypes.ts';
import type { OopsReport } from '../oops/report.ts';

export function formatJobListing(listing: JobListing, nextPage: (afterId: number) => string): string {
  if (listing.jobs.length === 0) return 'No jobs match.';
  // A RESOURCE column when a job of the page names one (jobs on resources).
  const withResource = listing.jobs.some((job) => job.resourceName);
  const table = textTable(
    ['ID', 'TYPE', 'STATUS', 'STATE', 'QUEUE', 'PRI', 'TRIES', 'CREATED (UTC)', ...(withResource ? ['RESOURCE'] : []), 'LAST ERROR'],
    listing.jobs.map((job) => [
      String(job.id), job.jobType, job.status, job.state, job.queueName, String(job.priority),
      `${job.attemptCount}/${job.maxRetries + 1}`, shortTime(job.dateCreated),
      ...(withResource ? [job.resourceName ? `${job.resourceType}/${job.resourceName}` : '-'] : []), clip(job.lastError, 60),
    ]),
  );
  return listing.nextAfterId === null ? table : `${table}\nMore: ${nextPage(listing.nextAfterId)}`;
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, '\n  ');
}

export function formatJobDetails(details: JobDetails): string {
  const job = details.job;
  const fields: Array<[string, string]> = [
    ['Job', `${job.id} (${job.jobType})`],
    ['Status', `${job.status} (${job.state})`],
    ['Queue', `${job.queueName}, priority ${job.priority}`],
    ['Attempts', `${job.attemptCount} of ${job.maxRetries + 1}${job.runnerDeaths > 0 ? `, runner died ${job.runnerDeaths} time(s)` : ''}`],
    ['Step', String(job.step)],
    ['Created', job.dateCreated],
    ['Started', job.dateStarted ?? '-'],
    ['Finished', job.dateFinished ?? '-'],
    ['Not before', job.scheduledStart ?? '-'],
    ['Lease', job.leaseExpires ? `${job.leaseExpires} by ${job.claimedBy ?? '?'}` : '-'],
    ['Requester', job.requester ?? '-'],
    ['Last error', job.lastError ?? '-'],
  ];
  if (job.resourceType !== undefined) fields.push(['Resource', job.resourceType === null ? '-' : `${job.resourceType}/${job.resourceName ?? ''}`]);
  if (details.oops) {
    const report = details.oops.report;
    fields.push(['OOPS', report ? `${details.oops.id} at ${report.time}: ${report.type}: ${clip(report.value, 200)}` : `${details.oops.id} (no report under error_dir)`]);
  }
  const width = Math.max(...fields.map(([key]) => key.length)) + 2;
  const lines = fields.map(([key, value]) => `${`${key}:`.padEnd(width)}${value}`);
  for (const domain of details.domainRows) lines.push(`Domain row (${domain.table}): ${domain.error ? `cannot be read: ${domain.error}` : json(domain.row)}`);
  if (details.jsonData !== null) lines.push(`Data: ${json(details.jsonData)}`);
  if (details.workspace !== null) lines.push(`Workspace: ${json(details.workspace)}`);
  if (details.result !== undefined && details.result !== null) lines.push(`Result: ${json(details.result)}`);
  if (details.log) lines.push(`Log: ${details.log}`);
  if (details.history.length > 0) {
    lines.push('Operators:', ...details.history.map((entry) => `  ${shortTime(entry.dateLogged)}  ${entry.operator} ${entry.action}${entry.oldStatus ? ` ${entry.oldStatus} -> ${entry.newStatus}` : ''}${entry.detail ? `: ${entry.detail}` : ''}`));
  }
  return lines.join('\n');
}

export function formatJobChange(change: JobChange): string {
  return `Job ${change.job.id} (${change.job.jobType}): ${change.oldStatus} -> ${change.job.status}.`;
}

export function formatJobPrune(report: JobPruneReport): string {
  return `Deleted ${report.deleted} COMPLETED or FAILED ${report.deleted === 1 ? 'job' : 'jobs'} older than ${report.cutoff}${report.stopped ? ' (stopped early)' : ''}.`;
}

export function formatUnserved(report: UnservedReport): string {
  const lines: string[] = [];
  if (report.jobTypes.length === 0) lines.push('Every waiting job has a section that runs it.');
  else lines.push(textTable(['JOB TYPE', 'WAITING', 'OLDEST IDS'], report.jobTypes.map((row) => [row.jobType, String(row.count), row.ids.join(', ')])));
  if (report.unknownSources.length > 0) lines.push(`Sections whose job source could not be loaded: ${report.unknownSources.join(', ')}`);
  return lines.join('\n');
}

export function formatOopsListing(listing: OopsListing, nextPage: (beforeId: string) => string): string {
  if (listing.reports.length === 0) return 'No OOPS reports.';
  const table = textTable(['ID', 'TIME (UTC)', 'REPORTER', 'ERROR'], listing.reports.map((report) => [report.id, shortTime(report.time), report.reporter, clip(`${report.type}: ${report.value}`, 80)]));
  return listing.more ? `${table}\nMore: ${nextPage(listing.reports[listing.reports.length - 1]!.id)}` : table;
}

export function formatOops(report: OopsReport): string {
  const lines = [`${report.id}`, `Time:     ${report.time}`, `Host:     ${report.hostname}`, `Reporter: ${report.reporter}`, `Error:    ${report.type}: ${report.value}`];
  if (report.req_vars.length > 0) lines.push('Variables:', ...report.req_vars.map(([key, value]) => `  ${key} = ${value}`));
  lines.push('Traceback:', ...report.traceback.split('\n').map((line) => `  ${line}`));
  return lines.join('\n');
}

export function formatOopsPrune(report: OopsPruneReport): string {
  return `Deleted ${report.deleted} OOPS ${report.deleted === 1 ? 'report' : 'reports'} filed before ${report.cutoff}.`;
}

export function formatAdminLog(rows: readonly AdminLogRow[]): string {
  if (rows.length === 0) return 'No changes logged.';
  return textTable(['ID', 'WHEN (UTC)', 'OPERATOR', 'ACTION', 'JOB', 'CHANGE', 'DETAIL'], rows.map((row) => [
    String(row.id), shortTime(row.dateLogged), row.operator, row.action, row.job === null ? '' : String(row.job),
    row.oldStatus ? `${row.oldStatus} -> ${row.newStatus}` : '', clip(row.detail, 80),
  ]));
}
