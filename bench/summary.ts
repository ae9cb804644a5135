// Medians, ratios and the targets of each case. The ratio is always jobsystem / graphile-worker
// of the case's own unit: above 1 is better for jobs/s, below 1 is better for ms and MB.
import type { CaseResult, Series } from './harness.ts';

export interface SummaryRow {
  id: string;
  title: string;
  unit: CaseResult['unit'];
  better: CaseResult['better'];
  jobs: number;
  jobsystem: number | null;
  graphile: number | null;
  jobsystemRange: [number, number] | null;
  graphileRange: [number, number] | null;
  ratio: number | null;
  target: string;
  /** null: the target could not be judged (a side was not measured) or there is none. */
  met: boolean | null;
  /** What the target was judged on, when it is not the ratio. */
  judgedOn?: string;
  /** Cases f and o: the shares of runs made back to back, one per repetition. */
  pairedShares?: number[];
  /** Cases of jobsystem alone: what the two columns hold (CaseResult.columns). */
  columns?: CaseResult['columns'];
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function range(series: Series): [number, number] | null {
  const values = series.samples.map((sample) => sample.value);
  return values.length ? [Math.min(...values), Math.max(...values)] : null;
}

type Judge = (row: SummaryRow, byId: Map<string, SummaryRow>) => Pick<SummaryRow, 'met' | 'judgedOn'>;

const atLeast = (minimum: number): Judge => (row) => ({ met: row.ratio === null ? null : row.ratio >= minimum });
const atMost = (maximum: number): Judge => (row) => ({ met: row.ratio === null ? null : row.ratio <= maximum });

const TARGETS: Record<string, { text: string; judge: Judge }> = {
  a: { text: 'ratio <= 1', judge: atMost(1) },
  b: { text: 'ratio >= 2', judge: atLeast(2) },
  c: { text: 'ratio >= 1.5', judge: atLeast(1.5) },
  d: { text: 'ratio >= 1', judge: atLeast(1) },
  e: { text: 'none', judge: () => ({ met: null }) },
  f: {
    text: 'jobsystem f >= 0.9 x jobsystem c',
    judge: (row, byId) => {
      // Runs made back to back when there are any: the machine's speed drifts between cases.
      const paired = median(row.pairedShares ?? []);
      if (paired !== null) return { met: paired >= 0.9, judgedOn: `f/c = ${paired.toFixed(2)} (paired runs)` };
      const c = byId.get('c')?.jobsystem ?? null;
      if (row.jobsystem === null || c === null) return { met: null, judgedOn: 'f/c not measurable' };
      const share = row.jobsystem / c;
      return { met: share >= 0.9, judgedOn: `f/c = ${share.toFixed(2)}` };
    },
  },
  h: { text: 'ratio <= 1', judge: atMost(1) },
  i: { text: 'ratio <= 1', judge: atMost(1) },
  j: { text: 'ratio >= 1.5', judge: atLeast(1.5) },
  k: { text: 'none', judge: () => ({ met: null }) },
  g: {
    text: 'jobsystem <= 150 MB',
    judge: (row) => ({ met: row.jobsystem === null ? null : row.jobsystem <= 150, judgedOn: row.jobsystem === null ? undefined : `${row.jobsystem.toFixed(0)} MB` }),
  },
  l: { text: 'ratio <= 1', judge: atMost(1) },
  m: { text: 'none', judge: () => ({ met: null }) },
  n: { text: 'none', judge: () => ({ met: null }) },
  o: {
    text: 'with >= 0.9 x without (paired runs)',
    judge: (row) => {
      const paired = median(row.pairedShares ?? []);
      if (paired === null) return { met: null, judgedOn: 'no pair measured' };
      return { met: paired >= 0.9, judgedOn: `with/without = ${paired.toFixed(2)}` };
    },
  },
};

export function summarise(results: CaseResult[]): SummaryRow[] {
  const rows: SummaryRow[] = results.map((result) => {
    const jobsystem = median(result.jobsystem.samples.map((sample) => sample.value));
    const graphile = median(result.graphile.samples.map((sample) => sample.value));
    return {
      id: result.id,
      title: result.title,
      unit: result.unit,
      better: result.better,
      jobs: result.jobs,
      jobsystem,
      graphile,
      jobsystemRange: range(result.jobsystem),
      graphileRange: range(result.graphile),
      ratio: jobsystem !== null && graphile !== null && graphile > 0 ? jobsystem / graphile : null,
      target: TARGETS[result.id]?.text ?? 'none',
      met: null,
      pairedShares: (result.extra as { pairedShares?: number[] } | undefined)?.pairedShares,
      columns: result.columns,
    };
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const row of rows) Object.assign(row, TARGETS[row.id]?.judge(row, byId) ?? {});
  return rows;
}
