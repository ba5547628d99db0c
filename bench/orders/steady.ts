/**
 * Row 2: 20 orders/s for 60 s, raised limits: delivery → raised p50 and p99; raw at that rate for 5 s.
 * A window whose orders are not all raised 15 s after it is cut: its figures are bounds, measured once.
 */
import { performance } from 'node:perf_hooks';
import type { Connection } from '../../domain';
import { deliverOrder } from '../../temporal/deliver-order';
import { say, sleep } from '../harness';
import { formatSpread, quantile, spreadOf, verdict, type GoalRow, type Spread } from '../report';
import { f1, GOALS, linesFor, msText, pad, paced, placeOrder, raisedBy, rowDeadline, type OrderBenchSizes, type Run } from './kit';
import { rawOrder } from './pipeline';
import { readHistories } from './histories';

/** A quantile of latencies some of which are only known to exceed a bound (orders not raised yet). */
interface Latency {
  ms: number;
  /** `ms` is a lower bound. */
  censored: boolean;
}
function latencyQuantile(values: Latency[], q: number): Latency {
  const sorted = [...values].sort((a, b) => a.ms - b.ms);
  const rank = Math.max(0, Math.ceil(q * sorted.length) - 1);
  const atRank = sorted[rank]!;
  // Exact when no censored value lies at or below the rank (their true values could move below it otherwise only upward: still ≥).
  const censored = sorted.slice(0, rank + 1).some((v) => v.censored);
  return { ms: atRank.ms, censored };
}
const latencyText = (l: Latency) => `${l.censored ? '≥ ' : ''}${msText(l.ms)}`;

interface SteadyRepeat {
  orders: number;
  p50: Latency;
  p99: Latency;
  max: Latency;
  notRaised: number;
  /** Orders raised within the window ÷ its length. */
  raisedPerSecondInWindow: number;
  /** Median latency of the first second's orders (an empty system). */
  firstSecondP50Ms: number;
  rawP50Ms: number;
  rawP99Ms: number;
  slipMs: number;
}

export interface SteadyRow {
  rate: number;
  seconds: number;
  repeats: SteadyRepeat[];
  complete: boolean;
  p50Ms: Spread;
  p99Ms: Spread;
  rawP50Ms: Spread;
  rawP99Ms: Spread;
}

/** Raw: each order's pipeline from its arrival to its write-back. */
async function rawLatenciesOf(run: Run, connection: Connection, rep: number): Promise<number[]> {
  const { steadyRate: rate, rawSteadySeconds } = run.sizes;
  const rawLatencies: number[] = [];
  await paced(rate, rawSteadySeconds, async (i) => {
    const code = `RS${rep}-${pad(i + 1)}`;
    placeOrder(run, connection, code, linesFor(run, i));
    const t = performance.now();
    await rawOrder(run, connection, code);
    rawLatencies.push(performance.now() - t);
  });
  return rawLatencies;
}

/** One engine window: each order's delivery time, and its raise time when raised before the cut. */
interface SteadyWindow {
  codes: string[];
  deliveredAt: Map<string, number>;
  at: Map<string, number>;
  complete: boolean;
  windowStart: number;
  windowEnd: number;
  cutAt: number;
  slipMs: number;
}

/** Engine: delivery → Stock2Shop holds the source order code. */
async function engineWindow(run: Run, connection: Connection, rep: number, rowEnd: number): Promise<SteadyWindow> {
  const { steadyRate: rate, steadySeconds, steadyDrainSeconds } = run.sizes;
  const deliveredAt = new Map<string, number>();
  const codes: string[] = [];
  const windowStart = Date.now();
  const { slipMs } = await paced(rate, steadySeconds, async (i) => {
    const code = `S${rep}-${pad(i + 1)}`;
    codes.push(code);
    placeOrder(run, connection, code, linesFor(run, i));
    deliveredAt.set(code, Date.now());
    await deliverOrder(run.stack.client, connection, code, { via: 'webhook' });
  });
  const windowEnd = Date.now();
  const deadline = Math.min(windowEnd + steadyDrainSeconds * 1000, rowEnd);
  const { at, complete } = await raisedBy(run, codes, deadline);
  const cutAt = Date.now();
  return { codes, deliveredAt, at, complete, windowStart, windowEnd, cutAt, slipMs };
}

function steadyRepeat(window: SteadyWindow, rawLatencies: number[], rate: number): SteadyRepeat {
  const { codes, deliveredAt, at, windowStart, windowEnd, cutAt, slipMs } = window;
  const latencies: Latency[] = codes.map((code) => {
    const raised = at.get(code);
    return raised === undefined ? { ms: cutAt - deliveredAt.get(code)!, censored: true } : { ms: raised - deliveredAt.get(code)!, censored: false };
  });
  const firstSecond = latencies.slice(0, rate).filter((l) => !l.censored);
  return {
    orders: codes.length,
    p50: latencyQuantile(latencies, 0.5),
    p99: latencyQuantile(latencies, 0.99),
    max: latencyQuantile(latencies, 1),
    notRaised: codes.length - at.size,
    raisedPerSecondInWindow: [...at.values()].filter((t) => t <= windowEnd).length / ((windowEnd - windowStart) / 1000),
    firstSecondP50Ms: quantile(
      firstSecond.map((l) => l.ms),
      0.5,
    ) ?? NaN,
    rawP50Ms: quantile(rawLatencies, 0.5)!,
    rawP99Ms: quantile(rawLatencies, 0.99)!,
    slipMs,
  };
}

export async function steadyRow(run: Run): Promise<SteadyRow> {
  const rowEnd = rowDeadline(run, 2);
  const connection = run.stack.connection('omni-raised');
  const { steadyRate: rate, steadySeconds, rawSteadySeconds, steadyDrainSeconds } = run.sizes;
  const repeats: SteadyRepeat[] = [];
  for (let rep = 1; rep <= run.sizes.repeats; rep += 1) {
    if (rep > 1 && Date.now() + (rawSteadySeconds + steadySeconds + 3) * 1000 > rowEnd) {
      run.cuts.push(`row 2: ${rep - 1} of ${run.sizes.repeats} repeats (the row's time ran out)`);
      break;
    }
    const rawLatencies = await rawLatenciesOf(run, connection, rep);
    await sleep(500);
    const window = await engineWindow(run, connection, rep, rowEnd);
    const { codes, at, complete, slipMs } = window;
    const r = steadyRepeat(window, rawLatencies, rate);
    repeats.push(r);
    if (rep === run.sizes.repeats || !complete) {
      const raisedCodes = codes.filter((c) => at.has(c));
      if (run.histories && raisedCodes.length > 0) await readHistories(run, '2. steady', connection.id, raisedCodes);
    }
    say(
      `row 2, repeat ${rep}: ${codes.length} orders at ${rate}/s: delivery → raised p50 ${latencyText(r.p50)}, p99 ${latencyText(r.p99)}, max ${latencyText(r.max)}` +
        `${complete ? '' : ` (CUT ${steadyDrainSeconds} s after the window: ${r.notRaised} not raised)`}; raised during the window ${f1(r.raisedPerSecondInWindow)}/s; ` +
        `first second's orders p50 ${msText(r.firstSecondP50Ms)}; raw (${rawLatencies.length} orders) p50 ${msText(r.rawP50Ms)}, p99 ${msText(r.rawP99Ms)}; delivery slip ≤ ${msText(slipMs)}`,
    );
    if (!complete) {
      run.dirty = true;
      run.cuts.push(`row 2: ${r.notRaised} of ${codes.length} orders not raised ${steadyDrainSeconds} s after the window; measured once`);
      break;
    }
    await sleep(1500);
  }
  return {
    rate,
    seconds: steadySeconds,
    repeats,
    complete: repeats.every((r) => r.notRaised === 0),
    p50Ms: spreadOf(repeats.map((r) => r.p50.ms)),
    p99Ms: spreadOf(repeats.map((r) => r.p99.ms)),
    rawP50Ms: spreadOf(repeats.map((r) => r.rawP50Ms)),
    rawP99Ms: spreadOf(repeats.map((r) => r.rawP99Ms)),
  };
}

// ------------------------------------------------------------------------------------------------- report

export function steadyGoalRows(steady: SteadyRow, sizes: OrderBenchSizes): GoalRow[] {
  const once = steady.repeats.length === 1;
  const q = (pick: (r: SteadyRepeat) => Latency, spread: Spread) => {
    const l = pick(steady.repeats[0]!);
    return once ? latencyText(l) : formatSpread(spread, ' ms', 0);
  };
  const cut = steady.complete ? '' : ` (cut: ${steady.repeats[0]!.notRaised} of ${steady.repeats[0]!.orders} not raised ${sizes.steadyDrainSeconds} s after the window; once)`;
  return [
    {
      benchmark: `steady ${steady.rate} orders/s for ${steady.seconds} s: delivery → raised p50`,
      goal: `≤ ${GOALS.steadyP50Ms / 1000} s`,
      measured: `${q((r) => r.p50, steady.p50Ms)}${cut}; raw ${formatSpread(steady.rawP50Ms, ' ms', 1)}`,
      verdict: verdict(steady.repeats.every((r) => !r.p50.censored) && steady.p50Ms.median <= GOALS.steadyP50Ms),
    },
    {
      benchmark: `steady ${steady.rate} orders/s for ${steady.seconds} s: delivery → raised p99`,
      goal: `≤ ${GOALS.steadyP99Ms / 1000} s`,
      measured: `${q((r) => r.p99, steady.p99Ms)}${cut}; raw ${formatSpread(steady.rawP99Ms, ' ms', 1)}`,
      verdict: verdict(steady.repeats.every((r) => !r.p99.censored) && steady.p99Ms.median <= GOALS.steadyP99Ms),
    },
  ];
}

export function steadyMarkdown(s: SteadyRow, sizes: OrderBenchSizes): string[] {
  return [
    `**2. steady ${s.rate} orders/s for ${s.seconds} s** (${s.repeats.length} repeat(s)): each order placed and delivered at its time; delivery → raised per repeat: ` +
      s.repeats
        .map(
          (r) =>
            `p50 ${latencyText(r.p50)}, p99 ${latencyText(r.p99)}, max ${latencyText(r.max)} (${r.orders} orders${r.notRaised ? `, ${r.notRaised} not raised when cut` : ''}; ` +
            `raised during the window ${f1(r.raisedPerSecondInWindow)}/s of ${s.rate}/s offered; the first second's orders p50 ${msText(r.firstSecondP50Ms)}; delivery slip ≤ ${msText(r.slipMs)})`,
        )
        .join('; ') +
      `. Raw at the same rate for ${sizes.rawSteadySeconds} s (arrival → written back): p50 ${formatSpread(s.rawP50Ms, ' ms', 1)}, p99 ${formatSpread(s.rawP99Ms, ' ms', 1)}. ` +
      '`≥` marks a bound: orders not raised yet count with their wait so far.',
    '',
  ];
}
