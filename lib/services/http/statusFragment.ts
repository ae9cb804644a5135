import type { Scope } from './apiTokens.ts';
import { LAST_HOUR_MS, type StatusSnapshot } from './statusSnapshot.ts';

const STATUSES = ['WAITING', 'RUNNING', 'SUSPENDED', 'COMPLETED', 'FAILED'] as const;

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 93 -> "1m 33s", as an operator reads an age. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** The first line of an error, at most 200 characters. */
function oneLine(text: string | null): string {
  const line = (text ?? '').split('\n')[0]!;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function countsTable(snapshot: StatusSnapshot): string {
  const rows = new Map<string, { queue: string; type: string; counts: Record<string, number> }>();
  const totals: Record<string, number> = {};
  for (const { queueName, jobType, status, count } of snapshot.counts) {
    const key = `${queueName}\u0000${jobType}`;
    const row = rows.get(key) ?? { queue: queueName, type: jobType, counts: {} };
    row.counts[status] = count;
    rows.set(key, row);
    totals[status] = (totals[status] ?? 0) + count;
  }
  if (rows.size === 0) return '<p id="no-jobs">No jobs.</p>';
  const head = `<tr><th>queue</th><th>job type</th>${STATUSES.map((s) => `<th class="number status-${s}">${s}</th>`).join('')}</tr>`;
  const body = [...rows.values()]
    .sort((a, b) => a.queue.localeCompare(b.queue) || a.type.localeCompare(b.type))
    .map((row) => `<tr><td>${escapeHtml(row.queue)}</td><td>${escapeHtml(row.type)}</td>${STATUSES.map((s) => `<td class="number" data-status="${s}">${row.counts[s] ?? 0}</td>`).join('')}</tr>`)
    .join('');
  const total = `<tr><th colspan="2">all</th>${STATUSES.map((s) => `<th class="number" data-total="${s}">${totals[s] ?? 0}</th>`).join('')}</tr>`;
  return `<table id="counts">${head}${body}${total}</table>`;
}

function oldestTable(snapshot: StatusSnapshot): string {
  if (snapshot.oldestWaiting.length === 0) return '<p id="oldest">No job is waiting.</p>';
  const expired = new Map(snapshot.expiredLeases.map((row) => [row.queueName, row.count]));
  const rows = snapshot.oldestWaiting
    .map(({ queueName, since }) => `<tr><td>${escapeHtml(queueName)}</td><td class="number">${formatAge((snapshot.takenAt.getTime() - since.getTime()) / 1000)}</td><td class="number">${expired.get(queueName) ?? 0}</td></tr>`)
    .join('');
  return `<table id="oldest"><tr><th>queue</th><th>oldest waiting job's age</th><th>expired leases</th></tr>${rows}</table>`;
}

/** Per minute of the last hour, completed (green) and failed (red) jobs as stacked bars. */
export function throughputChart(snapshot: StatusSnapshot): string {
  const minutes = 60;
  const start = Math.floor((snapshot.takenAt.getTime() - LAST_HOUR_MS) / 60_000) + 1;
  const completed = new Array<number>(minutes).fill(0);
  const failed = new Array<number>(minutes).fill(0);
  for (const { minute, status, count } of snapshot.finished) {
    const index = Math.floor(minute.getTime() / 60_000) - start;
    if (index < 0 || index >= minutes) continue;
    (status === 'FAILED' ? failed : completed)[index]! += count;
  }
  const max = Math.max(1, ...completed.map((c, i) => c + failed[i]!));
  const width = 600;
  const height = 100;
  const bar = width / minutes;
  const scale = (n: number) => (n / max) * (height - 14);
  const bars = completed.map((c, i) => {
    const x = (i * bar).toFixed(1);
    const hc = scale(c);
    const hf = scale(failed[i]!);
    const title = `<title>${failed[i]} failed, ${c} completed</title>`;
    return `<g>${title}<rect class="completed" x="${x}" y="${(height - hc).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${hc.toFixed(1)}"/><rect class="failed" x="${x}" y="${(height - hc - hf).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${hf.toFixed(1)}"/></g>`;
  });
  const total = completed.reduce((a, b) => a + b, 0);
  const totalFailed = failed.reduce((a, b) => a + b, 0);
  return `<svg id="throughput" class="chart" role="img" aria-label="${total} completed and ${totalFailed} failed in the last hour" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
    + `<text x="4" y="10">max ${max}/min</text>${bars.join('')}</svg>`
    + `<p class="taken">Last hour, per minute: ${total} completed, ${totalFailed} failed.</p>`;
}

function failuresTable(snapshot: StatusSnapshot, admin: boolean): string {
  if (snapshot.recentFailures.length === 0) return '<p id="failures">No failed jobs.</p>';
  const rows = snapshot.recentFailures
    .map((job) => {
      const oops = job.lastOops ? `<a href="/oops/${encodeURIComponent(job.lastOops)}" data-oops="${escapeHtml(job.lastOops)}">${escapeHtml(job.lastOops)}</a>` : '';
      const actions = admin ? `<td><button type="button" data-action="retry" data-job="${job.id}">Retry</button></td>` : '';
      return `<tr data-job="${job.id}"><td class="number">${job.id}</td><td>${escapeHtml(job.jobType)}</td><td>${escapeHtml(job.queueName)}</td><td>${job.dateFinished?.toISOString() ?? ''}</td><td class="error" title="${escapeHtml(oneLine(job.lastError))}">${escapeHtml(oneLine(job.lastError))}</td><td>${oops}</td>${actions}</tr>`;
    })
    .join('');
  return `<table id="failures"><tr><th>id</th><th>job type</th><th>queue</th><th>failed at</th><th>error</th><th>OOPS</th>${admin ? '<th></th>' : ''}</tr>${rows}</table>`;
}

function waitingTable(snapshot: StatusSnapshot, admin: boolean): string {
  if (snapshot.waitingJobs.length === 0) return '<p id="waiting">No job is waiting.</p>';
  const rows = snapshot.waitingJobs
    .map((job) => {
      const actions = admin ? `<td><button type="button" data-action="cancel" data-job="${job.id}">Cancel</button></td>` : '';
      return `<tr data-job="${job.id}"><td class="number">${job.id}</td><td>${escapeHtml(job.jobType)}</td><td>${escapeHtml(job.queueName)}</td><td>${job.dateCreated.toISOString()}</td><td class="number">${job.attemptCount}</td>${actions}</tr>`;
    })
    .join('');
  return `<table id="waiting"><tr><th>id</th><th>job type</th><th>queue</th><th>created</th><th>attempts</th>${admin ? '<th></th>' : ''}</tr>${rows}</table>`;
}

/**
 * The status page's content, rendered here so every value is escaped in one place; the page's
 * script puts it in the page. Retry and cancel buttons are rendered for admin tokens only
 * (the API refuses their actions to read-only tokens anyway).
 */
export function renderStatusFragment(snapshot: StatusSnapshot, viewer: { name: string; scope: Scope }): string {
  const admin = viewer.scope === 'admin';
  return [
    `<p class="taken">Read at ${snapshot.takenAt.toISOString()} as ${escapeHtml(viewer.name)} (${viewer.scope}).</p>`,
    '<h2>Jobs by queue, type and status</h2>',
    countsTable(snapshot),
    '<h2>Waiting</h2>',
    oldestTable(snapshot),
    '<h2>Throughput</h2>',
    throughputChart(snapshot),
    '<h2>Failed jobs, newest first</h2>',
    failuresTable(snapshot, admin),
    '<h2>Oldest waiting jobs</h2>',
    waitingTable(snapshot, admin),
  ].join('\n');
}
