/**
 * What a benchmark program hands back to `bench/run-all.ts` (`npm run bench`), which writes them all
 * into docs/benchmarks.md: one row per goal of the issue, plus the program's own figures as markdown.
 */

/** min / median / max of the repeats of one figure. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  /** Every value, in the order measured. */
  values: number[];
}

export function spreadOf(values: number[]): Spread {
  if (values.length === 0) throw new Error('spreadOf: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]!, values };
}

/** "1.07× (1.02–1.15)": the median, then min–max, each with `digits` decimals and `unit`. */
export function formatSpread(spread: Spread, unit = '', digits = 2): string {
  const f = (n: number) => `${n.toFixed(digits)}${unit}`;
  return spread.min === spread.max ? f(spread.median) : `${f(spread.median)} (${f(spread.min)}–${f(spread.max)})`;
}

/** The value at quantile `q` (0..1) of `values`, nearest rank; null when there are none. */
export function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

export type GoalVerdict = 'met' | 'missed';

/** One row of the goals table: a benchmark, its goal, what was measured, and whether it met it. */
export interface GoalRow {
  benchmark: string;
  goal: string;
  measured: string;
  verdict: GoalVerdict;
}

export interface BenchReport {
  /** The section's heading in docs/benchmarks.md. */
  title: string;
  /** The command that runs this program alone. */
  command: string;
  /** Wall time of the program, seconds. */
  seconds: number;
  goals: GoalRow[];
  /** The program's figures and what they mean, as markdown (tables, notes, bottleneck found). */
  markdown: string;
  /** Everything measured, for the JSON line. */
  data: unknown;
}

/** "met" when `ok`; otherwise "missed" (the docs say why). */
export const verdict = (ok: boolean): GoalVerdict => (ok ? 'met' : 'missed');

/** A markdown table from a header and rows of cells. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Count, median, p95 and max of a set of values (nearest rank); null when there are none. */
export interface Stats {
  count: number;
  median: number | null;
  p95: number | null;
  max: number | null;
}

export function stats(values: number[]): Stats {
  return { count: values.length, median: quantile(values, 0.5), p95: quantile(values, 0.95), max: quantile(values, 1) };
}

/** One decimal; null stays null. */
export const round1 = (n: number | undefined | null): number | null => (n === undefined || n === null ? null : Math.round(n * 10) / 10);

export const roundStats = (s: Stats): Stats => ({ count: s.count, median: round1(s.median), p95: round1(s.p95), max: round1(s.max) });

/** "233 ms", "11.8 s" (from 10 s on), "-" for none. */
export const fmtMs = (ms: number | null): string => (ms === null ? '-' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

export const fmtStats = (s: Stats): string => `n=${s.count} median ${fmtMs(s.median)} p95 ${fmtMs(s.p95)} max ${fmtMs(s.max)}`;
