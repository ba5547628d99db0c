/**
 * The order rows' measuring kit: their sizes and options, the goals, the run every row shares (its
 * stack, deadlines, cuts), placing orders and waiting until they are raised, and the text helpers.
 */
import type { Connection } from '../../domain';
import type { createActivities } from '../../activities';
import type { HeldOrder } from '../../simulators';
import { benchOrder, sleep, type BenchStack, type OrderLine } from '../harness';
import type { HistoryFigures } from './histories';

// ------------------------------------------------------------------------------------------------ options

export interface OrderBenchSizes {
  repeats: number;
  /** Row 1: orders at once. */
  burstOrders: number;
  /** Row 2: orders a second, for how long; how long the raw pipeline runs at that rate; how long after the window the last orders may take. */
  steadyRate: number;
  steadySeconds: number;
  rawSteadySeconds: number;
  steadyDrainSeconds: number;
  /** Row 3: orders at once, default limits. */
  defaultLimitOrders: number;
  /** Row 4, and how long after the source's return the orders may take before the row is cut. */
  outageOrders: number;
  outageSeconds: number;
  outageDrainSeconds: number;
  /** Row 5. */
  openOrders: number;
  /** Row 6: raiseOrder histories read per row they come from. */
  historiesPerRow: number;
  /** Row 7: orders at once while Stock2Shop answers in 8 s. */
  slowStock2ShopOrders: number;
  /** Row 8: orders per burst, on each path. */
  confinedOrders: number;
  /** Deliveries in flight at once (the webhook's callers). */
  deliveryConcurrency: number;
  /** The rows' time budget (the program's wall time minus its start and stop). */
  budgetSeconds: number;
  /** --profile: orders per burst of the profiling and variant runs. */
  profileOrders: number;
}

export const DEFAULT_SIZES: OrderBenchSizes = {
  repeats: 3,
  burstOrders: 1000,
  steadyRate: 20,
  steadySeconds: 60,
  rawSteadySeconds: 5,
  steadyDrainSeconds: 15,
  defaultLimitOrders: 100,
  outageOrders: 200,
  outageSeconds: 60,
  outageDrainSeconds: 30,
  openOrders: 1000,
  historiesPerRow: 40,
  slowStock2ShopOrders: 200,
  confinedOrders: 100,
  deliveryConcurrency: 32,
  budgetSeconds: 580,
  profileOrders: 300,
};

/** ~10× smaller: a smoke check. */
export const QUICK_SIZES: OrderBenchSizes = {
  ...DEFAULT_SIZES,
  burstOrders: 100,
  steadySeconds: 6,
  rawSteadySeconds: 2,
  steadyDrainSeconds: 10,
  defaultLimitOrders: 10,
  outageOrders: 20,
  outageSeconds: 8,
  outageDrainSeconds: 20,
  openOrders: 100,
  historiesPerRow: 10,
  slowStock2ShopOrders: 40,
  confinedOrders: 30,
  profileOrders: 50,
};

export interface OrderBenchOptions {
  quick?: boolean;
  keep?: boolean;
  /** After the rows: baseline, tmpfs and profiled bursts, and the top costs in the report. */
  profile?: boolean;
  /** Only these rows (1–8); default all. */
  rows?: number[];
  /** Overrides of the sizes (after --quick). */
  sizes?: Partial<OrderBenchSizes>;
}

/** Issue 26's goals (and the earlier issues' for the rows it keeps). */
export const GOALS = {
  burstOrdersPerSecond: 40,
  burstCpuMsPerOrder: 45,
  centralCpuMsPerOrder: 12,
  steadyP50Ms: 500,
  steadyP99Ms: 2000,
  defaultLimitRatio: 0.9,
  outageRequestsPerInterval: 3,
  outageRaisedAfterReturnMs: 10_000,
  centralRssMB: 400,
  eventsPerRun: 10_000,
  largestPayloadBytes: 256 * 1024,
};

/** Seconds each row may take when the engine keeps up, and the least it needs (reserved while earlier rows run). */
const ROW_TIME: Record<number, { allot: number; least: number }> = {
  1: { allot: 160, least: 60 },
  2: { allot: 215, least: 80 },
  3: { allot: 110, least: 40 },
  4: { allot: 115, least: 80 },
  5: { allot: 200, least: 55 },
  7: { allot: 150, least: 90 },
  8: { allot: 120, least: 50 },
};
/** Histories, the codec timing and the stop. */
const TAIL_SECONDS = 12;

// ------------------------------------------------------------------------------------------------ helpers

export const MB = 1_000_000;
export const f1 = (n: number) => n.toFixed(1);
export const f0 = (n: number) => n.toFixed(0);
export const msText = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
export const pad = (n: number, width = 6) => String(n).padStart(width, '0');
export const codesOf = (prefix: string, n: number, width = 6) => Array.from({ length: n }, (_, i) => `${prefix}-${pad(i + 1, width)}`);

// ----------------------------------------------------------------------------------------------- the run

export interface Run {
  stack: BenchStack;
  sizes: OrderBenchSizes;
  keep: boolean;
  skus: OrderLine[];
  rawActivities: ReturnType<typeof createActivities>;
  /** A cut row left orders in flight: the next row gets a fresh stack. */
  dirty: boolean;
  stacksStarted: number;
  /** Row 6, read at the end of each row (before its stack may be replaced). */
  histories: Record<string, HistoryFigures> | undefined;
  budgetEnd: number;
  rows: Set<number>;
  cuts: string[];
}

/** The end of a row allotted `row`'s time, leaving the least time of the selected rows after it. */
export function rowDeadline(run: Run, row: number): number {
  const reserve = [...run.rows].filter((r) => r > row && ROW_TIME[r]).reduce((sum, r) => sum + ROW_TIME[r]!.least, 0) + TAIL_SECONDS;
  return Math.min(Date.now() + (ROW_TIME[row]?.allot ?? 60) * 1000, run.budgetEnd - reserve * 1000);
}

export function linesFor(run: Run, i: number): OrderLine[] {
  const { skus } = run;
  return [skus[(i * 7) % skus.length]!, skus[(i * 13 + 5) % skus.length]!];
}

export function placeOrder(run: Run, connection: Connection, code: string, lines: OrderLine[]): void {
  void run.stack.stock2shop.addOrder(benchOrder(code, connection.stock2shop.sourceId, lines));
}

/** When Stock2Shop took the order's source order code (ms since the epoch), undefined while not raised. */
export function raisedAt(held: HeldOrder | undefined): number | undefined {
  if (!held || held.source_order_code === null) return undefined;
  const writeBack = held.write_backs.find((w) => w.kind === 'source_order_code');
  return writeBack ? Date.parse(writeBack.at) : undefined;
}

/** Waits until every code is raised or `deadline` (ms since the epoch) passes; the raise times by code. */
export async function raisedBy(run: Run, codes: string[], deadline: number): Promise<{ at: Map<string, number>; complete: boolean }> {
  const at = new Map<string, number>();
  const pending = new Set(codes);
  for (;;) {
    for (const code of pending) {
      const raised = raisedAt(run.stack.stock2shop.order(code));
      if (raised !== undefined) {
        at.set(code, raised);
        pending.delete(code);
      }
    }
    if (pending.size === 0) return { at, complete: true };
    if (Date.now() >= deadline) return { at, complete: false };
    await sleep(Math.min(200, deadline - Date.now()));
  }
}

/** `rate` orders a second for `seconds`: `start(i)` at each order's time; resolves when all have. */
export async function paced(rate: number, seconds: number, start: (i: number) => Promise<void>): Promise<{ slipMs: number }> {
  const total = Math.floor(rate * seconds);
  const t0 = Date.now();
  const running: Promise<void>[] = [];
  let slipMs = 0;
  for (let i = 0; i < total; i += 1) {
    const due = t0 + (i * 1000) / rate;
    await sleep(due - Date.now());
    slipMs = Math.max(slipMs, Date.now() - due);
    running.push(start(i));
  }
  await Promise.all(running);
  return { slipMs };
}
