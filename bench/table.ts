// The results as a plain-text table for the terminal and as Markdown for bench/results/.
import type { CaseResult } from './harness.ts';
import type { MachineInfo } from './machine.ts';
import { median, type SummaryRow } from './summary.ts';

function number(value: number | null, unit: string): string {
  if (value === null) return 'not measured';
  const digits = unit === 'CPU s' ? 2 : unit === 'MB' || value >= 100 ? 0 : value < 10 ? 2 : 1;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

function met(row: SummaryRow): string {
  const judged = row.judgedOn ? ` (${row.judgedOn})` : '';
  if (row.target === 'none') return '-';
  if (row.met === null) return `cannot judge${judged}`;
  return `${row.met ? 'met' : 'NOT met'}${judged}`;
}

// A case of jobsystem alone (no graphile-worker counterpart) names what each column holds.
function cells(row: SummaryRow): string[] {
  const label = (text: string, side?: string) => (row.columns ? `${text} (${side})` : text);
  return [
    `${row.id}. ${row.title}`,
    label(number(row.jobsystem, row.unit), row.columns?.jobsystem),
    label(number(row.graphile, row.unit), `${row.columns?.graphile}; graphile-worker n/a`),
    row.ratio === null ? 'n/a' : label(`${row.ratio.toFixed(2)}x`, `${row.columns?.jobsystem} / ${row.columns?.graphile}`),
    `${row.better} is better`,
    row.target,
    met(row),
  ];
}

const HEADER = ['case', 'jobsystem (median)', 'graphile-worker (median)', 'ratio js/gw', 'direction', 'target', 'target met'];

export function textTable(rows: SummaryRow[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  const line = (values: string[]) => values.map((value, column) => value.padEnd(widths[column]!)).join('  ');
  return [line(HEADER), widths.map((width) => '-'.repeat(width)).join('  '), ...table.slice(1).map(line)].join('\n');
}

export interface MarkdownInput {
  machine: MachineInfo;
  settings: { scale: number; repeat: number; durationS: number };
  rows: SummaryRow[];
  results: CaseResult[];
}

export function markdown({ machine, settings, rows, results }: MarkdownInput): string {
  const out: string[] = [];
  out.push('# jobsystem vs graphile-worker', '');
  out.push(`Measured ${machine.date} by \`npm run bench\` (BENCH_SCALE=${settings.scale}, BENCH_REPEAT=${settings.repeat}; the whole run took ${(settings.durationS / 60).toFixed(1)} min).`, '');
  out.push(`Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}; ${machine.postgres}`);
  out.push(`(${Object.entries(machine.postgresSettings).map(([key, value]) => `${key} ${value}`).join(', ')}); graphile-worker ${machine.graphileWorker}; jobsystem ${machine.jobsystemCommit}.`, '');
  out.push('Medians of the repetitions; each repetition runs jobsystem and graphile-worker one after the other, alternating which goes first, each on a fresh copy of its database. The ratio is jobsystem / graphile-worker of the value in the case\'s unit: for jobs/s above 1 favours jobsystem, for ms and MB below 1 does. Cases m to o are jobsystem alone (jobs on resources; graphile-worker has no resource rule): their two columns are the two jobsystem runs named in them, and the ratio is the first / the second.', '');
  out.push(`| ${HEADER.join(' | ')} |`, `|${HEADER.map(() => '---').join('|')}|`);
  for (const row of rows) out.push(`| ${cells(row).join(' | ')} |`);
  out.push('', '## How each side was run', '');
  for (const result of results) {
    out.push(`**${result.id}. ${result.title}** (${result.jobs.toLocaleString('en-US')} jobs)`, '');
    const names = result.columns ? [`jobsystem ${result.columns.jobsystem}`, `jobsystem ${result.columns.graphile}`] : ['jobsystem', 'graphile-worker'];
    for (const [name, series] of [[names[0]!, result.jobsystem], [names[1]!, result.graphile]] as const) {
      const values = series.samples.map((sample) => number(sample.value, result.unit)).join(', ') || 'none';
      const cpu = median(series.samples.flatMap((sample) => (sample.cpuMs == null ? [] : [sample.cpuMs])));
      const rss = median(series.samples.flatMap((sample) => (sample.peakRssKb == null ? [] : [sample.peakRssKb / 1024])));
      const seen = [cpu === null ? '' : `worker CPU (user+sys) ${number(cpu, 'ms')}`, rss === null ? '' : `peak RSS ${number(rss, 'MB')}`].filter(Boolean).join(', ');
      out.push(`- ${name}: ${series.setup}. Runs: ${values}${seen ? ` (medians: ${seen})` : ''}.`);
      for (const error of series.errors) out.push(`  - failed: ${error}`);
    }
    for (const note of result.notes) out.push(`- ${note}`);
    if (result.loadAverage) out.push(`- load average (1, 5, 15 min) at start ${result.loadAverage.start.map((n) => n.toFixed(2)).join(', ')}; at end ${result.loadAverage.end.map((n) => n.toFixed(2)).join(', ')}.`);
    const tuning = (result.extra as { tuning?: { candidates: Array<{ section: string; jobsPerSecond: number | null; error?: string }> } } | undefined)?.tuning;
    if (tuning) {
      out.push(`- jobsystem candidates (one run each): ${tuning.candidates.map((c) => `${c.section} ${c.jobsPerSecond === null ? `failed (${c.error})` : number(c.jobsPerSecond, 'jobs/s')}`).join('; ')}.`);
    }
    out.push('');
  }
  return out.join('\n');
}
