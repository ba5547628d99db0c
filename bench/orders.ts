/**
 * The order rows of the benchmark issue: Stock2Shop orders raised in Omni Accounts through the engine
 * (webhook delivery → `raiseOrder` on the central worker → `raiseInSource` on the connection's agent →
 * write-back to Stock2Shop), each figure beside a raw pipeline measured in the same run.
 *
 *   node --import tsx bench/orders.ts [--quick] [--keep] [--profile] [--rows 1,2,3,4,5,6]
 *
 *   --quick    every size ~10× smaller (a smoke check; the figures mean little)
 *   --keep     keep the temp dirs (SQLite files, worker logs, profiles)
 *   --profile  after the rows (outside their time budget): a burst on the stock stack, the same with the
 *              dev server's SQLite file on tmpfs (no fsync), and one with the central worker and the
 *              agents under node's --cpu-prof; the top costs go into the report
 *   --rows     only these rows (default all six)
 *
 * The stack (bench/harness.ts): a fresh Temporal dev server as `npm start` configures it (the dispatch
 * tuning, SQLite file on disk), two Omni simulators (one for every row, one that goes down in row 4), the
 * central worker and one agents process (an agent per Omni connection, the default 20 activity slots
 * each), a connection per use: `omni-raised` (requestLimits 32 at once / 1000 per s), `omni-default`
 * (the default limits), `omni-outage` (raised limits, its own simulator), `omni-open` (raised limits).
 * An order is placed in the Stock2Shop simulator and delivered with `deliverOrder` (as the webhook does);
 * it is raised when Stock2Shop shows its source order code (the write-back's time is the raise's).
 *
 * The raw pipeline: the same activity code (`createActivities`, deps built like the workers' own, the
 * file product store in the temp dir) run in this process through `MockActivityEnvironment`, in a plain
 * loop: prepareOrder → raiseInSource → writeBackSourceOrderCode, as many orders at once as an agent has
 * activity slots (20); no Temporal, no payload codec, no task queues.
 *
 * Rows (3 repeats each, min / median / max, unless said):
 *   1. 1,000 orders at once, raised limits: orders/s from the first delivery to the last raised; CPU per
 *      order (dev server + central + agents, during the burst) and per process; raw orders/s.
 *   2. 20 orders/s for 60 s, raised limits: delivery → raised p50 and p99; raw at that rate for 5 s.
 *   3. 100 orders at once, default limits (4 at once, 20 requests/s): engine orders/s ÷ raw orders/s.
 *   4. Omni refusing every connection for 60 s while 200 orders arrive (once): lost, duplicated,
 *      requests that reached the dead source per probe interval, last raised − source back.
 *   5. 1,000 open orders (a SKU Omni does not hold: each ends waiting for a person): RSS of the central
 *      worker and the agents (sampled 3 times, 5 s apart).
 *   6. the histories of raiseOrder runs of rows 1, 2, 4 and 5: events per run, largest payload.
 *
 * Time budget: the whole program stays under 9 minutes (`budgetSeconds`, 520 s). A burst that has not
 * ended after twice the goal's time (1,000 orders: 40 s), a steady window whose orders are not all
 * raised 15 s after it, and any row that would eat the time of the rows after it are cut: the figure is
 * then a bound (`< 21 orders/s`, `p50 ≥ 30 s`), measured once, the goal missed; row 1 then measures the
 * burst at a tenth of the size (completed, 3 repeats). A cut row leaves orders in flight: the next row
 * gets a fresh stack.
 *
 * Prints its figures, the report's markdown, and last `BENCH_ORDERS_JSON {...}`.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { raiseOrderWorkflowId, sourceWatchWorkflowId, type Connection } from '../domain';
import { createActivities, type ActivityDeps } from '../activities';
import type { PreparedOrder, RaiseInSourceResult } from '../contracts/activities';
import { deliverOrder } from '../temporal/deliver-order';
import { productStoreFromEnv } from '../store/from-env';
import { EncryptionCodec, parseKeyRing } from '../temporal/payload-codec';
import type { HeldOrder } from '../simulators';
import { localActivityTypeOf } from '../test/helpers/history-reading';
import { payloadsIn } from './history';
import { gitCommit, loadAverage, machineCpuSeconds, machineInfo, mib, type TreeSample } from './proc';
import {
  benchOrder,
  mapLimit,
  projectRoot,
  runBench,
  say,
  setBenchLabel,
  sleep,
  startBenchStack,
  type BenchStack,
  type BenchStackOptions,
  type OrderLine,
} from './harness';
import { SLOW_STOCK2SHOP_GOAL_P99_MS, slowStock2ShopRow, type SlowStock2ShopPhase, type SlowStock2ShopRow, type WaitSpread } from './orders/slow-stock2shop';
import { formatSpread, markdownTable, quantile, spreadOf, verdict, type BenchReport, type GoalRow, type Spread } from './report';

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
  deliveryConcurrency: 32,
  budgetSeconds: 520,
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
  profileOrders: 50,
};

export interface OrderBenchOptions {
  quick?: boolean;
  keep?: boolean;
  /** After the rows: baseline, tmpfs and profiled bursts, and the top costs in the report. */
  profile?: boolean;
  /** Only these rows (1–6); default all. */
  rows?: number[];
  /** Overrides of the sizes (after --quick). */
  sizes?: Partial<OrderBenchSizes>;
}

const RAISED_LIMITS = { maxConcurrent: 32, perSecond: 1000 };
const GOALS = {
  burstOrdersPerSecond: 50,
  burstCpuMsPerOrder: 35,
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
};
/** Histories, the codec timing and the stop. */
const TAIL_SECONDS = 12;

function stackOptions(keep: boolean, extra: Partial<BenchStackOptions> = {}): BenchStackOptions {
  return {
    label: 'orders',
    keep,
    simulators: [
      { name: 'omni', kind: 'omni', items: 100 },
      { name: 'omni-outage', kind: 'omni', items: 100 },
    ],
    connections: [
      { id: 'omni-raised', kind: 'omni', sourceId: 2001, requestLimits: RAISED_LIMITS },
      { id: 'omni-default', kind: 'omni', sourceId: 2002 },
      { id: 'omni-outage', kind: 'omni', simulator: 'omni-outage', sourceId: 2003, requestLimits: RAISED_LIMITS },
      { id: 'omni-open', kind: 'omni', sourceId: 2004, requestLimits: RAISED_LIMITS },
    ],
    ...extra,
  };
}

// ------------------------------------------------------------------------------------------------ helpers

const MB = 1_000_000;
const f1 = (n: number) => n.toFixed(1);
const f0 = (n: number) => n.toFixed(0);
const msText = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const pad = (n: number, width = 6) => String(n).padStart(width, '0');
const codesOf = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${pad(i + 1)}`);

/** When Stock2Shop took the order's source order code (ms since the epoch), undefined while not raised. */
function raisedAt(held: HeldOrder | undefined): number | undefined {
  if (!held || held.source_order_code === null) return undefined;
  const writeBack = held.write_backs.find((w) => w.kind === 'source_order_code');
  return writeBack ? Date.parse(writeBack.at) : undefined;
}

/** CPU seconds of each process between two samples. */
function cpuBetween(a: Record<string, TreeSample>, b: Record<string, TreeSample>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, sample] of Object.entries(b)) {
    const before = a[name];
    if (before) out[name] = sample.cpu - before.cpu;
  }
  return out;
}

const ENGINE_PROCESSES = ['devServer', 'central', 'agents'];
const engineCpu = (cpu: Record<string, number>) => ENGINE_PROCESSES.reduce((sum, name) => sum + (cpu[name] ?? 0), 0);

// ----------------------------------------------------------------------------------------------- the run

interface Run {
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

async function newStack(run: Pick<Run, 'keep'>, extra: Partial<BenchStackOptions> = {}): Promise<{ stack: BenchStack; rawActivities: Run['rawActivities'] }> {
  const stack = await startBenchStack(stackOptions(run.keep, extra));
  // The raw pipeline's dependencies, as `activityDepsFromConfig` builds them for a worker (file product store in the temp dir).
  const deps: ActivityDeps = {
    connections: () => stack.connections,
    secretsOf: stack.secretsOf,
    stock2shopFor: stack.stock2shopFor,
    productStore: productStoreFromEnv({ ...stack.workerEnv, DATA_DIR: join(stack.dir, 'raw-data') }),
    centralWorkers: 1,
  };
  return { stack, rawActivities: createActivities(deps) };
}

/** Warm-up: an order through each path (connections, JIT, the workflow cache) before anything is timed. */
async function warmUp(run: Run): Promise<void> {
  const connection = run.stack.connection('omni-raised');
  placeOrder(run, connection, 'WARM-RAW', linesFor(run, 0));
  await rawOrder(run, connection, 'WARM-RAW');
  const burst = await engineBurst(run, connection, codesOf(`WARM${run.stacksStarted}`, 10), Date.now() + 60_000);
  if (!burst.complete) throw new Error('the warm-up orders were not raised within 60 s; see the worker logs');
}

/** A fresh stack when the last row left orders in flight (or `force`). */
async function cleanStack(run: Run, why: string, force = false): Promise<void> {
  if (!run.dirty && !force) return;
  say(`a fresh stack: ${why}`);
  await run.stack.stop();
  const { stack, rawActivities } = await newStack(run);
  run.stack = stack;
  run.rawActivities = rawActivities;
  run.dirty = false;
  run.stacksStarted += 1;
  await warmUp(run);
}

/** The end of a row allotted `row`'s time, leaving the least time of the selected rows after it. */
function rowDeadline(run: Run, row: number): number {
  const reserve = [...run.rows].filter((r) => r > row && ROW_TIME[r]).reduce((sum, r) => sum + ROW_TIME[r]!.least, 0) + TAIL_SECONDS;
  return Math.min(Date.now() + (ROW_TIME[row]?.allot ?? 60) * 1000, run.budgetEnd - reserve * 1000);
}

function linesFor(run: Run, i: number): OrderLine[] {
  const { skus } = run;
  return [skus[(i * 7) % skus.length]!, skus[(i * 13 + 5) % skus.length]!];
}

function placeOrder(run: Run, connection: Connection, code: string, lines: OrderLine[]): void {
  void run.stack.stock2shop.addOrder(benchOrder(code, connection.stock2shop.sourceId, lines));
}

/** Waits until every code is raised or `deadline` (ms since the epoch) passes; the raise times by code. */
async function raisedBy(run: Run, codes: string[], deadline: number): Promise<{ at: Map<string, number>; complete: boolean }> {
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

const quietLogger = new DefaultLogger('WARN');

/** The raw pipeline of one order: the activities in a plain loop, in activity contexts; resolves when written back. */
async function rawOrder(run: Run, connection: Connection, code: string): Promise<void> {
  const acts = run.rawActivities;
  const logger = quietLogger;
  const input = { connectionId: connection.id, channelOrderCode: code };
  const prepared: PreparedOrder = await new MockActivityEnvironment({ activityType: 'prepareOrder' }, { logger }).run(acts.prepareOrder, input);
  if (prepared.outcome !== 'ready') throw new Error(`raw ${code}: prepareOrder answered ${prepared.outcome}`);
  const raised: RaiseInSourceResult = await new MockActivityEnvironment({ activityType: 'raiseInSource', taskQueue: prepared.taskQueue }, { logger }).run(
    acts.raiseInSource,
    { ...input, document: prepared.document },
  );
  await new MockActivityEnvironment({ activityType: 'writeBackSourceOrderCode' }, { logger }).run(acts.writeBackSourceOrderCode, {
    ...input,
    sourceOrderCode: raised.sourceOrderCode,
  });
}

/** Raw: `codes` at once, as many at a time as an agent has activity slots; orders/s from the first start to the last write-back. */
async function rawBurst(run: Run, connection: Connection, codes: string[]): Promise<{ ordersPerSecond: number; seconds: number }> {
  codes.forEach((code, i) => placeOrder(run, connection, code, linesFor(run, i)));
  const t0 = performance.now();
  await mapLimit(codes, run.stack.sizing.agentActivitySlots, (code) => rawOrder(run, connection, code));
  const seconds = (performance.now() - t0) / 1000;
  return { ordersPerSecond: codes.length / seconds, seconds };
}

interface EngineBurst {
  orders: number;
  /** Every order raised before the deadline. */
  complete: boolean;
  raised: number;
  /** First delivery → last raised (complete), or → the deadline (cut). */
  seconds: number;
  /** Complete: orders ÷ seconds; cut: an upper bound (the burst would have needed longer). */
  ordersPerSecond: number;
  deliveredSeconds: number;
  /** CPU seconds per process over `seconds`. */
  cpu: Record<string, number>;
  codes: string[];
  raisedCodes: string[];
  /** The burst on the monotonic clock (µs), as CPU profiles time their samples. */
  monotonicUs: { from: number; to: number };
}

/**
 * Engine: `codes` placed, then delivered as the webhook does (`deliveryConcurrency` at once); first
 * delivery → last raised, or cut at `deadline` (the run is then dirty: orders still in flight).
 */
async function engineBurst(run: Run, connection: Connection, codes: string[], deadline: number): Promise<EngineBurst> {
  const { stack } = run;
  codes.forEach((code, i) => placeOrder(run, connection, code, linesFor(run, i)));
  const before = stack.sampler.sampleNow();
  const t0 = Date.now();
  const monotonicFrom = Number(process.hrtime.bigint() / 1000n);
  await mapLimit(codes, run.sizes.deliveryConcurrency, (code) => deliverOrder(stack.client, connection, code, { via: 'webhook' }));
  const deliveredSeconds = (Date.now() - t0) / 1000;
  const { at, complete } = await raisedBy(run, codes, deadline);
  const after = stack.sampler.sampleNow();
  if (!complete) run.dirty = true;
  const end = complete ? Math.max(...at.values()) : Date.now();
  const seconds = (end - t0) / 1000;
  return {
    orders: codes.length,
    complete,
    raised: at.size,
    seconds,
    ordersPerSecond: codes.length / seconds,
    deliveredSeconds,
    cpu: cpuBetween(before, after),
    codes,
    raisedCodes: [...at.keys()],
    monotonicUs: { from: monotonicFrom, to: Number(process.hrtime.bigint() / 1000n) },
  };
}

// ------------------------------------------------------------------------------------------------- row 1

interface BurstSeries {
  orders: number;
  repeats: number;
  /** Every engine burst ended; otherwise the one cut is the only one (a bound). */
  complete: boolean;
  raisedWhenCut: number | null;
  engineOrdersPerSecond: Spread;
  rawOrdersPerSecond: Spread;
  engineOverRaw: Spread;
  cpuMsPerOrder: Spread;
  cpuMsPerOrderByProcess: Record<string, Spread>;
  deliveredSeconds: Spread;
  seconds: Spread;
}

interface BurstRow {
  /** At the row's size (1,000). */
  full: BurstSeries;
  /** At a tenth of it, when the full burst was cut. */
  small: BurstSeries | null;
  cutAfterSeconds: number;
}

/** Up to `repeats` × (raw, engine) bursts of `n`; stops at the first engine burst cut (by `cutAfterMs` or the row's end). */
async function burstSeries(run: Run, connection: Connection, n: number, prefix: string, rowEnd: number, cutAfterMs: number, row: string): Promise<BurstSeries> {
  const engine: EngineBurst[] = [];
  const raw: number[] = [];
  for (let rep = 1; rep <= run.sizes.repeats; rep += 1) {
    const r = await rawBurst(run, connection, codesOf(`R${prefix}${rep}`, n));
    raw.push(r.ordersPerSecond);
    await sleep(500);
    const left = run.sizes.repeats - rep + 1;
    const deadline = Math.min(Date.now() + cutAfterMs, Date.now() + (rowEnd - Date.now()) / left);
    const e = await engineBurst(run, connection, codesOf(`${prefix}${rep}`, n), deadline);
    engine.push(e);
    say(
      `${row}, repeat ${rep}: ${n} orders at once: engine ${e.complete ? '' : '< '}${f1(e.ordersPerSecond)} orders/s ` +
        `(${e.complete ? `${f1(e.seconds)} s` : `CUT after ${f1(e.seconds)} s with ${e.raised} of ${n} raised`}; delivered in ${f1(e.deliveredSeconds)} s), ` +
        `raw ${f0(r.ordersPerSecond)} orders/s (${f1(r.seconds)} s); CPU ${e.complete ? '' : '≥ '}${f1((engineCpu(e.cpu) * 1000) / n)} ms/order ` +
        `(${Object.entries(e.cpu)
          .map(([name, s]) => `${name} ${f1((s * 1000) / n)}`)
          .join(', ')})`,
    );
    if (!e.complete) break;
    await sleep(1500);
  }
  const perProcess: Record<string, Spread> = {};
  for (const name of Object.keys(engine[0]!.cpu)) perProcess[name] = spreadOf(engine.map((e) => ((e.cpu[name] ?? 0) * 1000) / n));
  const last = engine[engine.length - 1]!;
  if (run.histories && last.raisedCodes.length > 0) await readHistories(run, `1. burst of ${n}`, connection.id, last.raisedCodes);
  return {
    orders: n,
    repeats: engine.length,
    complete: engine.every((e) => e.complete),
    raisedWhenCut: last.complete ? null : last.raised,
    engineOrdersPerSecond: spreadOf(engine.map((e) => e.ordersPerSecond)),
    rawOrdersPerSecond: spreadOf(raw.slice(0, engine.length)),
    engineOverRaw: spreadOf(engine.map((e, i) => e.ordersPerSecond / raw[i]!)),
    cpuMsPerOrder: spreadOf(engine.map((e) => (engineCpu(e.cpu) * 1000) / n)),
    cpuMsPerOrderByProcess: perProcess,
    deliveredSeconds: spreadOf(engine.map((e) => e.deliveredSeconds)),
    seconds: spreadOf(engine.map((e) => e.seconds)),
  };
}

async function burstRow(run: Run): Promise<BurstRow> {
  const rowEnd = rowDeadline(run, 1);
  const connection = run.stack.connection('omni-raised');
  const n = run.sizes.burstOrders;
  // Twice the time the goal allows: a burst still running then is under half the goal's rate.
  const cutAfterSeconds = Math.max(20, (2 * n) / GOALS.burstOrdersPerSecond);
  const full = await burstSeries(run, connection, n, 'B', rowEnd, cutAfterSeconds * 1000, 'row 1');
  let small: BurstSeries | null = null;
  if (!full.complete) {
    run.cuts.push(`row 1: ${n} orders at once not all raised after ${cutAfterSeconds} s`);
    await cleanStack(run, 'the cut burst left orders in flight');
    const m = Math.max(10, Math.round(n / 10));
    small = await burstSeries(run, run.stack.connection('omni-raised'), m, 'b', rowEnd, Number.MAX_SAFE_INTEGER, 'row 1 at a tenth');
  }
  return { full, small, cutAfterSeconds };
}

// ------------------------------------------------------------------------------------------------- row 2

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

interface SteadyRow {
  rate: number;
  seconds: number;
  repeats: SteadyRepeat[];
  complete: boolean;
  p50Ms: Spread;
  p99Ms: Spread;
  rawP50Ms: Spread;
  rawP99Ms: Spread;
}

/** `rate` orders a second for `seconds`: `start(i)` at each order's time; resolves when all have. */
async function paced(rate: number, seconds: number, start: (i: number) => Promise<void>): Promise<{ slipMs: number }> {
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

async function steadyRow(run: Run): Promise<SteadyRow> {
  const rowEnd = rowDeadline(run, 2);
  const connection = run.stack.connection('omni-raised');
  const { steadyRate: rate, steadySeconds, rawSteadySeconds, steadyDrainSeconds } = run.sizes;
  const repeats: SteadyRepeat[] = [];
  for (let rep = 1; rep <= run.sizes.repeats; rep += 1) {
    if (rep > 1 && Date.now() + (rawSteadySeconds + steadySeconds + 3) * 1000 > rowEnd) {
      run.cuts.push(`row 2: ${rep - 1} of ${run.sizes.repeats} repeats (the row's time ran out)`);
      break;
    }
    // Raw: each order's pipeline from its arrival to its write-back.
    const rawLatencies: number[] = [];
    await paced(rate, rawSteadySeconds, async (i) => {
      const code = `RS${rep}-${pad(i + 1)}`;
      placeOrder(run, connection, code, linesFor(run, i));
      const t = performance.now();
      await rawOrder(run, connection, code);
      rawLatencies.push(performance.now() - t);
    });
    await sleep(500);
    // Engine: delivery → Stock2Shop holds the source order code.
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
    const latencies: Latency[] = codes.map((code) => {
      const raised = at.get(code);
      return raised === undefined ? { ms: cutAt - deliveredAt.get(code)!, censored: true } : { ms: raised - deliveredAt.get(code)!, censored: false };
    });
    const firstSecond = latencies.slice(0, rate).filter((l) => !l.censored);
    const r: SteadyRepeat = {
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

// ------------------------------------------------------------------------------------------------- row 3

interface DefaultLimitsRow {
  orders: number;
  limits: { maxConcurrent: number; perSecond: number };
  repeats: number;
  complete: boolean;
  engineOrdersPerSecond: Spread;
  rawOrdersPerSecond: Spread;
  engineOverRaw: Spread;
  cpuMsPerOrder: Spread;
  seconds: number;
}

async function defaultLimitsRow(run: Run): Promise<DefaultLimitsRow> {
  const rowEnd = rowDeadline(run, 3);
  const connection = run.stack.connection('omni-default');
  const n = run.sizes.defaultLimitOrders;
  const started = Date.now();
  const engine: EngineBurst[] = [];
  const raw: number[] = [];
  for (let rep = 1; rep <= run.sizes.repeats; rep += 1) {
    const r = await rawBurst(run, connection, codesOf(`RD${rep}`, n));
    raw.push(r.ordersPerSecond);
    await sleep(500);
    const left = run.sizes.repeats - rep + 1;
    // This repeat's share of what is left of the row (each repeat is a raw burst and an engine burst).
    const share = Math.max(r.seconds * 1200, (rowEnd - Date.now() - (left - 1) * r.seconds * 1000) / left);
    const e = await engineBurst(run, connection, codesOf(`D${rep}`, n), Date.now() + share);
    engine.push(e);
    say(
      `row 3, repeat ${rep}: ${n} orders at once, default limits: engine ${e.complete ? '' : '< '}${f1(e.ordersPerSecond)} orders/s ` +
        `(${e.complete ? `${f1(e.seconds)} s` : `CUT after ${f1(e.seconds)} s, ${e.raised} raised`}), raw ${f1(r.ordersPerSecond)} orders/s (${f1(r.seconds)} s): ` +
        `engine/raw ${e.complete ? '' : '< '}${(e.ordersPerSecond / r.ordersPerSecond).toFixed(3)}; CPU ${f1((engineCpu(e.cpu) * 1000) / n)} ms/order`,
    );
    if (!e.complete) {
      run.cuts.push(`row 3: repeat ${rep} cut (the row's time ran out)`);
      break;
    }
    await sleep(500);
  }
  return {
    orders: n,
    limits: { ...connection.requestLimits },
    repeats: engine.length,
    complete: engine.every((e) => e.complete),
    engineOrdersPerSecond: spreadOf(engine.map((e) => e.ordersPerSecond)),
    rawOrdersPerSecond: spreadOf(raw.slice(0, engine.length)),
    engineOverRaw: spreadOf(engine.map((e, i) => e.ordersPerSecond / raw[i]!)),
    cpuMsPerOrder: spreadOf(engine.map((e) => (engineCpu(e.cpu) * 1000) / n)),
    seconds: (Date.now() - started) / 1000,
  };
}

// ------------------------------------------------------------------------------------------------- row 4

interface OutageRow {
  orders: number;
  outageSeconds: number;
  probeSeconds: number;
  lost: number;
  /** Not raised when the row ended, their workflows still running (not lost: they would go on). */
  pending: number;
  duplicated: number;
  writtenBackMoreThanOnce: number;
  refusedDuringOutage: number;
  requestsPerInterval: number;
  maxRequestsInAnInterval: number;
  perInterval: number[];
  raisedDuringOutage: number;
  /** Last raised − the source back; a lower bound when some were still pending. */
  raisedAfterReturnMs: number;
  allRaised: boolean;
  firstRaisedAfterReturnMs: number | null;
  watch: { probes: number; runs: number } | null;
}

async function outageRow(run: Run): Promise<OutageRow> {
  const rowEnd = rowDeadline(run, 4);
  const { stack, sizes } = run;
  const connection = stack.connection('omni-outage');
  const omni = stack.omni('omni-outage');
  const probeSeconds = connection.sourceProbeSeconds;
  const n = sizes.outageOrders;
  const codes = codesOf('O', n);
  // A warm-up order, so the agent's guard and HTTP connections exist before the outage.
  const warm = await engineBurst(run, connection, ['O-WARM'], Date.now() + 60_000);
  if (!warm.complete) throw new Error('row 4: the warm-up order was not raised within 60 s');

  omni.clearRequests();
  await omni.setFaults({ refuseConnections: true });
  const downAt = Date.now();
  say(`row 4: Omni (${connection.id}) refuses every connection for ${sizes.outageSeconds} s; ${n} orders arrive over its first half`);
  const arrivals = paced(n / (sizes.outageSeconds / 2), sizes.outageSeconds / 2, async (i) => {
    placeOrder(run, connection, codes[i]!, linesFor(run, i));
    await deliverOrder(stack.client, connection, codes[i]!, { via: 'webhook' });
  });
  await sleep(downAt + sizes.outageSeconds * 1000 - Date.now());
  await arrivals;
  const refused = omni.requests().filter((r) => r.outcome === 'refused');
  await omni.setFaults({ refuseConnections: false });
  const backAt = Date.now();
  const raisedDuringOutage = codes.filter((code) => raisedAt(stack.stock2shop.order(code)) !== undefined).length;
  say(`row 4: Omni answers again; ${refused.length} requests reached it while down; ${raisedDuringOutage} raised during the outage`);
  const { at, complete } = await raisedBy(run, codes, Math.min(backAt + sizes.outageDrainSeconds * 1000, rowEnd));
  const endedAt = Date.now();
  await sleep(1000);
  // Each order exactly once in Omni, each written back once; an order not raised is pending while its workflow runs, else lost.
  const inOmni = new Map<string, number>();
  for (const d of omni.orders()) inOmni.set(d.reference, (inOmni.get(d.reference) ?? 0) + 1);
  let lost = 0;
  let pending = 0;
  let duplicated = 0;
  let writtenBackMoreThanOnce = 0;
  await mapLimit(codes, 16, async (code) => {
    const writeBacks = stack.stock2shop.order(code).write_backs.filter((w) => w.kind === 'source_order_code').length;
    if ((inOmni.get(code) ?? 0) > 1) duplicated += 1;
    if (writeBacks > 1) writtenBackMoreThanOnce += 1;
    if (writeBacks === 0 || !inOmni.has(code)) {
      const running = await stack.client.workflow
        .getHandle(raiseOrderWorkflowId(connection.id, code))
        .describe()
        .then((d) => d.status.name === 'RUNNING')
        .catch(() => false);
      if (running) pending += 1;
      else lost += 1;
    }
  });
  if (!complete) {
    run.dirty = true;
    run.cuts.push(`row 4: ${pending} orders still pending ${sizes.outageDrainSeconds} s after the source came back`);
  }
  // Requests per probe interval: the refused connections, bucketed by interval from the start of the outage.
  const buckets = new Array<number>(Math.ceil(sizes.outageSeconds / probeSeconds)).fill(0);
  for (const r of refused) {
    const k = Math.min(buckets.length - 1, Math.floor((Date.parse(r.at) - downAt) / (probeSeconds * 1000)));
    if (k >= 0) buckets[k]! += 1;
  }
  const times = [...at.values()];
  const raisedCodes = codes.filter((c) => at.has(c));
  if (run.histories && raisedCodes.length > 0) await readHistories(run, '4. outage', connection.id, raisedCodes);
  const watch = await watchProbes(stack, connection.id);
  const row: OutageRow = {
    orders: n,
    outageSeconds: sizes.outageSeconds,
    probeSeconds,
    lost,
    pending,
    duplicated,
    writtenBackMoreThanOnce,
    refusedDuringOutage: refused.length,
    requestsPerInterval: refused.length / (sizes.outageSeconds / probeSeconds),
    maxRequestsInAnInterval: Math.max(...buckets),
    perInterval: buckets,
    raisedDuringOutage,
    raisedAfterReturnMs: (complete ? Math.max(...times) : endedAt) - backAt,
    allRaised: complete,
    firstRaisedAfterReturnMs: times.length ? Math.min(...times) - backAt : null,
    watch,
  };
  say(
    `row 4: ${n} orders: ${lost} lost, ${pending} still pending, ${duplicated} duplicated in Omni, ${writtenBackMoreThanOnce} written back twice; ` +
      `${refused.length} requests reached the dead source in ${sizes.outageSeconds} s = ${f1(row.requestsPerInterval)} per ${probeSeconds} s probe interval ` +
      `(per interval ${buckets.join(' ')}); raised ${row.firstRaisedAfterReturnMs === null ? '-' : msText(row.firstRaisedAfterReturnMs)} – ` +
      `${complete ? '' : '≥ '}${msText(row.raisedAfterReturnMs)} after the source came back` +
      (watch ? `; the source watch probed ${watch.probes} times (${watch.runs} run(s))` : ''),
  );
  return row;
}

/** The source watch's probes (probeSource activities scheduled) across its runs. */
async function watchProbes(stack: BenchStack, connectionId: string): Promise<{ probes: number; runs: number } | null> {
  try {
    let probes = 0;
    let runs = 0;
    for await (const info of stack.client.workflow.list({ query: `WorkflowId = '${sourceWatchWorkflowId(connectionId)}'` })) {
      const history = await stack.client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
      probes += (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'probeSource').length;
      runs += 1;
    }
    return { probes, runs };
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------------- row 5

interface MemoryRow {
  openOrders: number;
  deliveredSeconds: number;
  waiting: number;
  allWaitingSeconds: number | null;
  rssBeforeMiB: Record<string, number>;
  centralRssMB: Spread;
  agentsRssMB: Spread;
  devServerRssMB: Spread;
  centralPeakMB: number;
}

async function memoryRow(run: Run): Promise<MemoryRow> {
  const rowEnd = rowDeadline(run, 5);
  const { stack, sizes } = run;
  const connection = stack.connection('omni-open');
  const rssBeforeMiB = Object.fromEntries(Object.entries(stack.sampler.sampleNow()).map(([name, s]) => [name, mib(s.rss)]));
  const codes = codesOf('N', sizes.openOrders);
  const t0 = Date.now();
  await mapLimit(codes, sizes.deliveryConcurrency, async (code, i) => {
    placeOrder(run, connection, code, [{ sku: `NO-SUCH-SKU-${i + 1}`, price: 100 }]);
    await deliverOrder(stack.client, connection, code, { via: 'webhook' });
  });
  const deliveredSeconds = (Date.now() - t0) / 1000;
  const waitingCodes = () => codes.filter((code) => stack.stock2shop.order(code).failure_reason !== null);
  // Until all wait for a person, keeping 12 s of the row for the samples.
  let allWaitingSeconds: number | null = null;
  for (;;) {
    if (waitingCodes().length === codes.length) {
      allWaitingSeconds = (Date.now() - t0) / 1000;
      break;
    }
    if (Date.now() > rowEnd - 12_000) break;
    await sleep(500);
  }
  const waiting = waitingCodes();
  if (waiting.length < codes.length) {
    run.dirty = true;
    run.cuts.push(`row 5: ${codes.length - waiting.length} of ${codes.length} open orders not yet waiting for a person when the RSS was sampled`);
  }
  await sleep(allWaitingSeconds === null ? 0 : 2000);
  const samples: Record<string, TreeSample>[] = [];
  for (let i = 0; i < 3; i += 1) {
    if (i > 0) await sleep(5000);
    samples.push(stack.sampler.sampleNow());
  }
  if (run.histories && waiting.length > 0) await readHistories(run, '5. open', connection.id, waiting);
  const rss = (name: string) => spreadOf(samples.map((s) => (s[name]?.rss ?? 0) / MB));
  const row: MemoryRow = {
    openOrders: codes.length,
    deliveredSeconds,
    waiting: waiting.length,
    allWaitingSeconds,
    rssBeforeMiB,
    centralRssMB: rss('central'),
    agentsRssMB: rss('agents'),
    devServerRssMB: rss('devServer'),
    centralPeakMB: stack.sampler.peakRss('central', t0) / MB,
  };
  say(
    `row 5: ${codes.length} open orders delivered in ${f1(deliveredSeconds)} s; ${waiting.length} waiting for a person` +
      `${allWaitingSeconds === null ? ' when sampled' : ` (all after ${f1(allWaitingSeconds)} s)`}; RSS central ${formatSpread(row.centralRssMB, ' MB', 0)} ` +
      `(before them ${rssBeforeMiB.central ?? '?'} MiB, peak ${f0(row.centralPeakMB)} MB), agents ${formatSpread(row.agentsRssMB, ' MB', 0)}, dev server ${formatSpread(row.devServerRssMB, ' MB', 0)}`,
  );
  return row;
}

// ------------------------------------------------------------------------------------------------- row 6

interface HistoryFigures {
  runs: number;
  events: { median: number; max: number };
  workflowTasks: { median: number; max: number };
  activityTasks: { median: number; max: number };
  localActivities: { median: number; max: number };
  historyBytes: { median: number; max: number };
  largestPayloadBytes: number;
  largestEventBytes: number;
  largestPayloadWhere: string;
  payloadsPerRun: number;
}

const EventType = temporal.api.enums.v1.EventType;

async function historyFigures(stack: BenchStack, connectionId: string, codes: string[]): Promise<HistoryFigures> {
  const perRun = await mapLimit(codes, 8, async (code) => {
    const history = await stack.client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code)).fetchHistory();
    const events = history.events ?? [];
    const payloads: { bytes: number; path: string }[] = [];
    let largestEvent = 0;
    for (const event of events) {
      payloadsIn(event, String(event.eventType ?? ''), payloads);
      largestEvent = Math.max(largestEvent, temporal.api.history.v1.HistoryEvent.encode(event).finish().length);
    }
    const largest = payloads.reduce((a, b) => (b.bytes > a.bytes ? b : a), { bytes: 0, path: '-' });
    return {
      events: events.length,
      workflowTasks: events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
      activityTasks: events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length,
      localActivities: events.filter((e) => localActivityTypeOf(e) !== undefined).length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      largest,
      largestEvent,
      payloads: payloads.length,
    };
  });
  const mm = (values: number[]) => ({ median: quantile(values, 0.5) ?? 0, max: quantile(values, 1) ?? 0 });
  const largest = perRun.reduce((a, b) => (b.largest.bytes > a.largest.bytes ? b : a));
  return {
    runs: perRun.length,
    events: mm(perRun.map((r) => r.events)),
    workflowTasks: mm(perRun.map((r) => r.workflowTasks)),
    activityTasks: mm(perRun.map((r) => r.activityTasks)),
    localActivities: mm(perRun.map((r) => r.localActivities)),
    historyBytes: mm(perRun.map((r) => r.bytes)),
    largestPayloadBytes: largest.largest.bytes,
    largestEventBytes: Math.max(...perRun.map((r) => r.largestEvent)),
    largestPayloadWhere: largest.largest.path.replace(/^(\d+)\./, (_, t: string) => `${EventType[Number(t)] ?? t}.`),
    payloadsPerRun: quantile(
      perRun.map((r) => r.payloads),
      0.5,
    )!,
  };
}

/** Row 6 for one row's orders: `historiesPerRow` of them, spread evenly. */
async function readHistories(run: Run, row: string, connectionId: string, codes: string[]): Promise<void> {
  const step = Math.max(1, Math.floor(codes.length / run.sizes.historiesPerRow));
  const picked = codes.filter((_, i) => i % step === 0).slice(0, run.sizes.historiesPerRow);
  const h = await historyFigures(run.stack, connectionId, picked);
  run.histories![row] = h;
  say(
    `row 6, ${row}: ${h.runs} raiseOrder histories: events median ${h.events.median} max ${h.events.max}; workflow tasks ${h.workflowTasks.median}, activities ${h.activityTasks.median}; ` +
      `history ${h.historyBytes.median} B; largest payload ${h.largestPayloadBytes} B (${h.largestPayloadWhere}), largest event ${h.largestEventBytes} B`,
  );
}

// -------------------------------------------------------------------------------------- the payload codec

interface CodecCost {
  preparedOrderBytes: number;
  /** µs for one toPayload + encrypt + decrypt + fromPayload of a prepared order, and of a small input. */
  preparedOrderMicros: number;
  smallMicros: number;
}

/** Times the engine's payload path (JSON payload converter + AES-GCM codec) on this machine, in this process. */
async function codecCost(run: Run): Promise<CodecCost> {
  const connection = run.stack.connection('omni-raised');
  const code = 'CODEC-1';
  placeOrder(run, connection, code, linesFor(run, 1));
  const prepared: PreparedOrder = await new MockActivityEnvironment({ activityType: 'prepareOrder' }, { logger: quietLogger }).run(
    run.rawActivities.prepareOrder,
    { connectionId: connection.id, channelOrderCode: code },
  );
  const codec = new EncryptionCodec(parseKeyRing(run.stack.keyText));
  const roundTrip = async (value: unknown, times: number) => {
    const once = async () => {
      const [p] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
      defaultPayloadConverter.fromPayload((await codec.decode([p!]))[0]!);
    };
    for (let i = 0; i < 200; i += 1) await once();
    const t = performance.now();
    for (let i = 0; i < times; i += 1) await once();
    return ((performance.now() - t) * 1000) / times;
  };
  const payload: Payload = defaultPayloadConverter.toPayload(prepared);
  return {
    preparedOrderBytes: payload.data?.length ?? 0,
    preparedOrderMicros: await roundTrip(prepared, 2000),
    smallMicros: await roundTrip({ connectionId: connection.id, channelOrderCode: code }, 2000),
  };
}

// ---------------------------------------------------------------------------------------------- profiling

interface ProfileCost {
  name: string;
  ms: number;
}
interface ProcessProfile {
  process: string;
  orders: number;
  /** Process CPU per order from /proc (all threads: JS, the Rust core, V8's helpers). */
  processCpuMsPerOrder: number;
  /** Per profiled JS thread: busy (non-idle) ms per order. */
  threads: { file: string; busyMsPerOrder: number; topCategory: string }[];
  categories: ProfileCost[];
  functions: ProfileCost[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

function categoryOf(url: string, functionName: string): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === 'runInContext') return 'workflow sandbox: entering its vm context';
  if (functionName === 'postMessage' || functionName === 'receiveMessageOnPort') return 'messages between the main and workflow threads';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 / native (program)';
  if (/payload-codec|internal\/crypto|node:crypto/.test(url) || /^(encrypt|decrypt|createCipheriv|createDecipheriv)/.test(functionName)) return 'payload codec (AES-GCM)';
  if (/workflow-bundles|\/workflows\/|@temporalio\/workflow/.test(url)) return 'workflow code + SDK workflow runtime (sandbox)';
  if (/protobufjs|@temporalio\/proto/.test(url)) return 'protobuf (JS)';
  if (/@temporalio\/core-bridge/.test(url)) return 'SDK core bridge (JS side)';
  if (/@temporalio\/worker/.test(url)) return 'SDK worker (JS)';
  if (/@temporalio\/(common|client|activity)/.test(url)) return 'SDK common / client / activity';
  if (/\/(activities|connectors|domain|config|client)\//.test(url) && !/node_modules/.test(url)) return 'engine activities';
  if (/axios|follow-redirects|_http|internal\/http|node:http|node:net|internal\/stream|node:stream/.test(url)) return 'HTTP client (axios, node http)';
  if (/zod/.test(url)) return 'zod validation';
  if (/tsx|esbuild/.test(url)) return 'tsx loader';
  if (/^node:|^internal\//.test(url)) return 'node internals';
  if (url === '') return 'native / builtins';
  return 'other';
}

function shortUrl(url: string): string {
  const inModules = /node_modules\/(.+)$/.exec(url);
  if (inModules) return inModules[1]!;
  return url.replace(`file://${projectRoot}/`, '').replace(`${projectRoot}/`, '');
}

/**
 * Self time by category and by function over the profiles of one process (a file per JS thread), for
 * the samples within `window` (monotonic µs, the profiles' own clock). A native frame (no script) counts
 * in its caller's category, under its own name.
 */
function readProfiles(dir: string, pid: number, orders: number, processCpuSeconds: number, processName: string, window: { from: number; to: number }): ProcessProfile {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`));
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  const threads: ProcessProfile['threads'] = [];
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parentOf = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
    const categoryCache = new Map<number, string>();
    const categoryOfNode = (id: number): string => {
      const cached = categoryCache.get(id);
      if (cached !== undefined) return cached;
      const { functionName, url } = byId.get(id)!.callFrame;
      let category = categoryOf(url, functionName);
      if (category === 'native / builtins') {
        const parent = parentOf.get(id);
        const parentCategory = parent === undefined ? undefined : categoryOfNode(parent);
        if (parentCategory !== undefined && parentCategory !== '(root)') category = parentCategory;
      }
      if (functionName === '(root)') category = '(root)';
      categoryCache.set(id, category);
      return category;
    };
    const threadCategories = new Map<string, number>();
    let busy = 0;
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      at += us;
      const node = byId.get(id);
      if (!node || at < window.from || at > window.to) return;
      const { functionName, url, lineNumber } = node.callFrame;
      const category = categoryOfNode(id);
      if (category === 'idle') return;
      busy += us;
      threadCategories.set(category, (threadCategories.get(category) ?? 0) + us);
      categories.set(category, (categories.get(category) ?? 0) + us);
      const key = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`.trim();
      functions.set(key, (functions.get(key) ?? 0) + us);
    });
    const top = [...threadCategories].sort((a, b) => b[1] - a[1])[0];
    threads.push({ file: basename(file), busyMsPerOrder: busy / 1000 / orders, topCategory: top ? top[0] : '-' });
  }
  const ranked = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000 / orders }));
  return {
    process: processName,
    orders,
    processCpuMsPerOrder: (processCpuSeconds * 1000) / orders,
    threads: threads.sort((a, b) => b.busyMsPerOrder - a.busyMsPerOrder),
    categories: ranked(categories, 12),
    functions: ranked(functions, 15),
  };
}

interface VariantRun {
  name: string;
  orders: number;
  complete: boolean;
  ordersPerSecond: number;
  cpuMsPerOrder: Record<string, number>;
}

interface ProfileRun {
  variants: VariantRun[];
  profiles: ProcessProfile[];
}

const variantOf = (name: string, e: EngineBurst): VariantRun => ({
  name,
  orders: e.orders,
  complete: e.complete,
  ordersPerSecond: e.ordersPerSecond,
  cpuMsPerOrder: Object.fromEntries(Object.entries(e.cpu).map(([process, s]) => [process, (s * 1000) / e.orders])),
});

/**
 * Where the time goes, outside the rows' budget: a burst of `profileOrders` on a fresh stock stack, the
 * same with the dev server's SQLite file on tmpfs (/dev/shm: the file without fsync), and one on the
 * stock stack with the central worker and the agents under --cpu-prof (profiles read once they stopped).
 */
async function profileRun(run: Run): Promise<ProfileRun> {
  const n = run.sizes.profileOrders;
  const variants: VariantRun[] = [];
  const burst = async (name: string, prefix: string) => {
    const e = await engineBurst(run, run.stack.connection('omni-raised'), codesOf(prefix, n), Date.now() + 5 * 60_000);
    variants.push(variantOf(name, e));
    say(`profile, ${name}: ${n} orders at once: ${e.complete ? '' : '< '}${f1(e.ordersPerSecond)} orders/s; CPU ms/order ${Object.entries(e.cpu).map(([p, s]) => `${p} ${f1((s * 1000) / n)}`).join(', ')}`);
    return e;
  };

  // The dev server's SQLite file on tmpfs.
  await run.stack.stop();
  const shmFile = `/dev/shm/s2s-orders-${process.pid}-${Date.now()}.sqlite`;
  ({ stack: run.stack, rawActivities: run.rawActivities } = await newStack(run, { temporalDbFile: shmFile }));
  run.dirty = false;
  try {
    await warmUp(run);
    await burst('SQLite file on tmpfs (/dev/shm)', 'PT');
  } finally {
    await run.stack.stop();
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${shmFile}${suffix}`, { force: true });
  }

  // The stock stack, then the same under the profiler.
  ({ stack: run.stack, rawActivities: run.rawActivities } = await newStack(run));
  await warmUp(run);
  await burst('stock (SQLite file on disk)', 'PS');
  const dir = join(run.stack.dir, 'profiles');
  const execArgv = ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '1000'];
  say(`profile: restarting the central worker and the agents with ${execArgv.join(' ')}`);
  const central = await run.stack.startCentral({ execArgv });
  const [agents] = await run.stack.startAgents({ execArgv });
  await sleep(2000);
  const e = await burst('stock, central and agents under --cpu-prof', 'PP');
  await run.stack.stopCentral();
  await run.stack.stopAgents();
  const profiles = [
    readProfiles(dir, central.pid!, n, e.cpu.central ?? 0, 'central worker', e.monotonicUs),
    readProfiles(dir, agents!.pid!, n, e.cpu.agents ?? 0, 'agents', e.monotonicUs),
  ];
  for (const p of profiles) {
    say(`profile of the ${p.process}: ${f1(p.processCpuMsPerOrder)} ms CPU per order; JS threads ${p.threads.map((t) => `${f1(t.busyMsPerOrder)} ms (${t.topCategory})`).join(', ')}`);
    say(`  by category (ms/order): ${p.categories.map((c) => `${c.name} ${c.ms.toFixed(2)}`).join('; ')}`);
    say(`  top functions (ms/order): ${p.functions.map((c) => `${c.name} ${c.ms.toFixed(2)}`).join('; ')}`);
  }
  return { variants, profiles };
}

// ------------------------------------------------------------------------------------------------- report

interface OrderBenchData {
  date: string;
  machine: ReturnType<typeof machineInfo>;
  commit: string;
  command: string;
  sizes: OrderBenchSizes;
  sizing: Record<string, number>;
  seconds: number;
  stacksStarted: number;
  cuts: string[];
  burst?: BurstRow;
  steady?: SteadyRow;
  defaultLimits?: DefaultLimitsRow;
  outage?: OutageRow;
  memory?: MemoryRow;
  slowStock2Shop?: SlowStock2ShopRow;
  histories?: Record<string, HistoryFigures>;
  codec?: CodecCost;
  profile?: ProfileRun;
  load: { atStart: string; atEnd: string; machineBusyPercent: number };
}

const seriesRate = (s: BurstSeries, unit = ' orders/s', digits = 1) =>
  s.complete ? formatSpread(s.engineOrdersPerSecond, unit, digits) : `< ${s.engineOrdersPerSecond.median.toFixed(digits)}${unit} (cut: ${s.raisedWhenCut} of ${s.orders} raised after ${f0(s.seconds.median)} s; once)`;

function goalRows(d: OrderBenchData): GoalRow[] {
  const rows: GoalRow[] = [];
  const { burst, steady, defaultLimits, outage, memory, histories } = d;
  if (burst) {
    const { full, small } = burst;
    const measured = small ?? full;
    rows.push({
      benchmark: `${full.orders} orders at once, raised limits: throughput`,
      goal: `≥ ${GOALS.burstOrdersPerSecond} orders/s`,
      measured:
        `${seriesRate(full)}; raw ${formatSpread(full.rawOrdersPerSecond, ' orders/s', 0)}` +
        (small ? `; ${small.orders} at once: ${seriesRate(small)}, raw ${formatSpread(small.rawOrdersPerSecond, ' orders/s', 0)}` : ''),
      verdict: verdict(full.complete && full.engineOrdersPerSecond.median >= GOALS.burstOrdersPerSecond),
    });
    const cpuOk = measured.complete && measured.cpuMsPerOrder.median <= GOALS.burstCpuMsPerOrder;
    rows.push({
      benchmark: `${full.orders} orders at once: CPU per order (dev server + central + agent)`,
      goal: `≤ ${GOALS.burstCpuMsPerOrder} ms`,
      measured:
        `${measured.complete ? '' : '≥ '}${formatSpread(measured.cpuMsPerOrder, ' ms', 1)}${small ? ` (bursts of ${small.orders}: the ${full.orders} were cut)` : ''} (${Object.entries(
          measured.cpuMsPerOrderByProcess,
        )
          .filter(([name]) => ENGINE_PROCESSES.includes(name))
          .map(([name, s]) => `${name} ${s.median.toFixed(1)}`)
          .join(', ')})`,
      verdict: verdict(cpuOk),
    });
  }
  if (steady) {
    const once = steady.repeats.length === 1;
    const q = (pick: (r: SteadyRepeat) => Latency, spread: Spread) => {
      const l = pick(steady.repeats[0]!);
      return once ? latencyText(l) : formatSpread(spread, ' ms', 0);
    };
    const cut = steady.complete ? '' : ` (cut: ${steady.repeats[0]!.notRaised} of ${steady.repeats[0]!.orders} not raised ${d.sizes.steadyDrainSeconds} s after the window; once)`;
    rows.push({
      benchmark: `steady ${steady.rate} orders/s for ${steady.seconds} s: delivery → raised p50`,
      goal: `≤ ${GOALS.steadyP50Ms / 1000} s`,
      measured: `${q((r) => r.p50, steady.p50Ms)}${cut}; raw ${formatSpread(steady.rawP50Ms, ' ms', 1)}`,
      verdict: verdict(steady.repeats.every((r) => !r.p50.censored) && steady.p50Ms.median <= GOALS.steadyP50Ms),
    });
    rows.push({
      benchmark: `steady ${steady.rate} orders/s for ${steady.seconds} s: delivery → raised p99`,
      goal: `≤ ${GOALS.steadyP99Ms / 1000} s`,
      measured: `${q((r) => r.p99, steady.p99Ms)}${cut}; raw ${formatSpread(steady.rawP99Ms, ' ms', 1)}`,
      verdict: verdict(steady.repeats.every((r) => !r.p99.censored) && steady.p99Ms.median <= GOALS.steadyP99Ms),
    });
  }
  if (defaultLimits) {
    const x = defaultLimits;
    rows.push({
      benchmark: `${x.orders} orders at once, default limits (${x.limits.maxConcurrent} at once, ${x.limits.perSecond}/s)`,
      goal: 'within 10 % of raw (engine/raw ≥ 0.90)',
      measured: `engine/raw ${x.complete ? '' : '< '}${formatSpread(x.engineOverRaw, '', 3)} (engine ${formatSpread(x.engineOrdersPerSecond, '', 2)}, raw ${formatSpread(x.rawOrdersPerSecond, '', 2)} orders/s${x.complete ? '' : '; cut'})`,
      verdict: verdict(x.complete && x.engineOverRaw.median >= GOALS.defaultLimitRatio),
    });
  }
  if (outage) {
    const o = outage;
    rows.push({
      benchmark: `Omni offline ${o.outageSeconds} s while ${o.orders} orders arrive (once): lost / duplicated`,
      goal: '0 lost, 0 duplicated',
      measured: `${o.lost} lost, ${o.duplicated} duplicated, ${o.writtenBackMoreThanOnce} written back twice${o.pending ? ` (${o.pending} still pending when the row ended)` : ''}`,
      verdict: verdict(o.lost === 0 && o.duplicated === 0 && o.writtenBackMoreThanOnce === 0),
    });
    rows.push({
      benchmark: `Omni offline: requests reaching the dead source per ${o.probeSeconds} s probe interval`,
      goal: `O(1) (≤ ${GOALS.outageRequestsPerInterval} in any interval, whatever the orders waiting)`,
      measured: `${f1(o.requestsPerInterval)} on average, ${o.maxRequestsInAnInterval} at most (${o.refusedDuringOutage} in ${o.outageSeconds} s, ${o.orders} orders)`,
      verdict: verdict(o.maxRequestsInAnInterval <= GOALS.outageRequestsPerInterval),
    });
    rows.push({
      benchmark: 'Omni offline: all raised after the source returns',
      goal: `≤ ${GOALS.outageRaisedAfterReturnMs / 1000} s`,
      measured: o.allRaised ? `${(o.raisedAfterReturnMs / 1000).toFixed(1)} s` : `> ${(o.raisedAfterReturnMs / 1000).toFixed(0)} s (${o.pending} still pending; cut)`,
      verdict: verdict(o.allRaised && o.raisedAfterReturnMs <= GOALS.outageRaisedAfterReturnMs),
    });
  }
  if (memory) {
    const m = memory;
    rows.push({
      benchmark: `central worker RSS with ${m.openOrders} open orders`,
      goal: `≤ ${GOALS.centralRssMB} MB`,
      measured:
        `${formatSpread(m.centralRssMB, ' MB', 0)} (${f0((m.centralRssMB.median * MB) / 2 ** 20)} MiB)` +
        `${m.waiting < m.openOrders ? ` with ${m.waiting} of them waiting for a person, the rest still in progress` : ''}; agents ${formatSpread(m.agentsRssMB, ' MB', 0)}`,
      verdict: verdict(m.centralRssMB.median <= GOALS.centralRssMB),
    });
  }
  if (d.slowStock2Shop) {
    const { orders, fast, slow } = d.slowStock2Shop;
    const spread = (x: WaitSpread) => `${msText(x.p99)} (p50 ${msText(x.p50)}, at most ${msText(x.max)}, ${x.tasks} tasks)`;
    const raised = (x: SlowStock2ShopPhase) => `${x.raised} of ${orders} orders raised${x.allRaised ? '' : ', cut'}`;
    rows.push({
      benchmark: `Stock2Shop answering in ${slow.latencyMs / 1000} s, ${orders} orders at once: workflow-task schedule-to-start of another connection's workflows, p99`,
      goal: `≤ ${SLOW_STOCK2SHOP_GOAL_P99_MS / 1000} s`,
      measured:
        `${spread(slow.scheduleToStartMs)} of ${slow.otherWorkflows} passes; once Stock2Shop answers again and every order's call returns at once, ${spread(slow.afterRecoveryMs)}; ${raised(slow)}. ` +
        `The same burst with Stock2Shop answering at once: ${spread(fast.scheduleToStartMs)}, then ${spread(fast.afterRecoveryMs)}; ${raised(fast)}`,
      verdict: verdict(slow.scheduleToStartMs.p99 <= SLOW_STOCK2SHOP_GOAL_P99_MS),
    });
  }
  if (histories && Object.keys(histories).length > 0) {
    const all = Object.values(histories);
    const maxEvents = Math.max(...all.map((h) => h.events.max));
    const maxPayload = Math.max(...all.map((h) => h.largestPayloadBytes));
    rows.push({
      benchmark: 'raiseOrder history: events per run',
      goal: `≤ ${GOALS.eventsPerRun.toLocaleString('en')}`,
      measured: `${maxEvents} at most (median: ${Object.entries(histories)
        .map(([row, h]) => `${row.replace(/^\d+\. /, '')} ${h.events.median}`)
        .join(', ')})`,
      verdict: verdict(maxEvents <= GOALS.eventsPerRun),
    });
    rows.push({
      benchmark: 'raiseOrder history: largest payload',
      goal: '< 256 KB',
      measured: `${maxPayload.toLocaleString('en')} bytes`,
      verdict: verdict(maxPayload < GOALS.largestPayloadBytes),
    });
  }
  return rows;
}

function seriesText(s: BurstSeries): string {
  return (
    `${s.orders} at once, ${s.repeats} repeat(s): engine ${seriesRate(s)}, raw ${formatSpread(s.rawOrdersPerSecond, ' orders/s', 0)}` +
    (s.complete ? ` (the engine does ${formatSpread(s.engineOverRaw, '', 3)} of raw)` : '') +
    `; all delivered after ${formatSpread(s.deliveredSeconds, ' s', 1)}; CPU per order ${s.complete ? '' : '≥ '}` +
    Object.entries(s.cpuMsPerOrderByProcess)
      .map(([name, sp]) => `${name} ${formatSpread(sp, ' ms', 1)}`)
      .join(', ')
  );
}

function markdownOf(d: OrderBenchData, goals: GoalRow[]): string {
  const out: string[] = [];
  out.push(
    '```sh',
    d.command,
    '```',
    '',
    `- **Machine**: ${d.machine.cpuModel}, ${d.machine.cores} cores, ${d.machine.memoryGiB} GiB RAM, Linux ${d.machine.kernel}, node ${d.machine.node}; ` +
      `load average ${d.load.atStart} at the start, ${d.load.atEnd} at the end; the whole machine ${f0(d.load.machineBusyPercent)} % busy over the run (other programs included: the machine is shared).`,
    `- **Commit**: ${d.commit}. **Wall time**: ${f0(d.seconds)} s (${d.stacksStarted} stack(s) started).`,
    `- **Stack**: Temporal dev server with the local engine's dispatch tuning and its SQLite file on disk (as \`npm start\`), the central worker and one agents process ` +
      `(one agent per Omni connection, ${d.sizing.agentActivitySlots} activity slots each), worker sizing ${JSON.stringify(d.sizing)}; ` +
      'simulators and the bench client in the bench process. Raised limits: 32 requests at once, 1,000 per second.',
    `- **Raw pipeline**: the same activities (\`createActivities\`, file product store) in \`MockActivityEnvironment\`, prepareOrder → raiseInSource → ` +
      `writeBackSourceOrderCode in a plain loop, ${d.sizing.agentActivitySlots} orders at once, in the bench process (no Temporal, no codec, no queues).`,
    "- Each figure is the median of its repeats with min–max in brackets; verdicts are on the median. Raised = Stock2Shop holds the source order code (the write-back's time).",
    `- **Time budget** ${d.sizes.budgetSeconds} s for the rows: a burst not done after twice the goal's time, steady orders not raised ${d.sizes.steadyDrainSeconds} s after the window, ` +
      'or a row that would take the next rows\' time is cut; its figure is then a bound (`<`, `≥`), measured once, and the next row gets a fresh stack.' +
      (d.cuts.length ? ` Cut in this run: ${d.cuts.join('; ')}.` : ' Nothing was cut in this run.'),
    '',
    markdownTable(
      ['benchmark', 'goal', 'measured', 'verdict'],
      goals.map((g) => [g.benchmark, g.goal, g.measured, g.verdict]),
    ),
    '',
  );
  if (d.burst) {
    const { full, small } = d.burst;
    out.push(
      `**1. ${full.orders} orders at once, raised limits.** All placed in Stock2Shop, then delivered ${d.sizes.deliveryConcurrency} at a time; orders/s = orders ÷ (last raised − first delivery); ` +
        `CPU = utime + stime from /proc over the burst, each process with its children (bench = the simulators and the deliveries, not counted in the goal). ` +
        `${seriesText(full)}.` +
        (small
          ? ` The ${full.orders} were cut after ${d.burst.cutAfterSeconds} s (twice the goal's time), so the burst was measured again at a tenth of the size on a fresh stack: ${seriesText(small)}.`
          : ''),
      '',
    );
  }
  if (d.steady) {
    const s = d.steady;
    out.push(
      `**2. steady ${s.rate} orders/s for ${s.seconds} s** (${s.repeats.length} repeat(s)): each order placed and delivered at its time; delivery → raised per repeat: ` +
        s.repeats
          .map(
            (r) =>
              `p50 ${latencyText(r.p50)}, p99 ${latencyText(r.p99)}, max ${latencyText(r.max)} (${r.orders} orders${r.notRaised ? `, ${r.notRaised} not raised when cut` : ''}; ` +
              `raised during the window ${f1(r.raisedPerSecondInWindow)}/s of ${s.rate}/s offered; the first second's orders p50 ${msText(r.firstSecondP50Ms)}; delivery slip ≤ ${msText(r.slipMs)})`,
          )
          .join('; ') +
        `. Raw at the same rate for ${d.sizes.rawSteadySeconds} s (arrival → written back): p50 ${formatSpread(s.rawP50Ms, ' ms', 1)}, p99 ${formatSpread(s.rawP99Ms, ' ms', 1)}. ` +
        '`≥` marks a bound: orders not raised yet count with their wait so far.',
      '',
    );
  }
  if (d.defaultLimits) {
    const x = d.defaultLimits;
    out.push(
      `**3. ${x.orders} orders at once, default limits** (${x.limits.maxConcurrent} requests at once, ${x.limits.perSecond} per second; a raise is a find and a create, ` +
        `so at most ${x.limits.perSecond / 2} orders/s), ${x.repeats} repeat(s): engine ${formatSpread(x.engineOrdersPerSecond, ' orders/s', 2)}, raw ${formatSpread(x.rawOrdersPerSecond, ' orders/s', 2)}, ` +
        `engine/raw ${formatSpread(x.engineOverRaw, '', 3)}; engine CPU ${formatSpread(x.cpuMsPerOrder, ' ms', 1)} per order. The size (${x.orders}) keeps the row under 2 minutes; it took ${f0(x.seconds)} s.`,
      '',
    );
  }
  if (d.outage) {
    const o = d.outage;
    out.push(
      `**4. Omni offline ${o.outageSeconds} s while ${o.orders} orders arrive** (once: a correctness row). The Omni simulator of \`omni-outage\` refuses every connection ` +
        `(\`refuseConnections\`: the port stays, each connection is reset and logged, so knocks are counted) for ${o.outageSeconds} s; the orders arrive over its first half. ` +
        `${o.lost} lost, ${o.duplicated} duplicated in Omni, ${o.writtenBackMoreThanOnce} written back more than once${o.pending ? `, ${o.pending} still pending (workflows running) when the row ended` : ''}. ` +
        `${o.refusedDuringOutage} requests reached the dead source: ${f1(o.requestsPerInterval)} per ${o.probeSeconds} s probe interval on average (per interval: ${o.perInterval.join(', ')})` +
        `${o.watch ? `; the source watch ran ${o.watch.probes} probes` : ''}. After the source answered again the first order was raised ` +
        `${o.firstRaisedAfterReturnMs === null ? '-' : msText(o.firstRaisedAfterReturnMs)} later and the last ${o.allRaised ? msText(o.raisedAfterReturnMs) : `not within ${msText(o.raisedAfterReturnMs)}`} later ` +
        '(the watch notices at its next probe, then signals the waiting orders together, up to 100 in one workflow task; each woken order then needs a workflow task, its raise and a workflow task for the write-back).',
      '',
    );
  }
  if (d.memory) {
    const m = d.memory;
    out.push(
      `**5. memory**: ${m.openOrders} open orders (a SKU Omni does not hold: each ends waiting for a person), delivered in ${f1(m.deliveredSeconds)} s; ` +
        `${m.allWaitingSeconds === null ? `${m.waiting} waiting for a person when sampled (the rest still being processed)` : `all waiting after ${f1(m.allWaitingSeconds)} s`}; ` +
        `VmRSS sampled 3 times 5 s apart (MB = 10⁶ bytes): central ${formatSpread(m.centralRssMB, ' MB', 0)} (peak ${f0(m.centralPeakMB)} MB; ${m.rssBeforeMiB.central ?? '?'} MiB before them), ` +
        `agents ${formatSpread(m.agentsRssMB, ' MB', 0)}, dev server ${formatSpread(m.devServerRssMB, ' MB', 0)}. Measured once (the 3 samples are of one state).`,
      '',
    );
  }
  if (d.histories && Object.keys(d.histories).length > 0) {
    out.push(
      '**6. histories** of raiseOrder runs (`fetchHistory`, payloads as stored: encrypted), read at the end of each row (once):',
      '',
      markdownTable(
        ['runs of', 'read', 'events (median / max)', 'workflow tasks', 'activity tasks', 'local activities', 'history bytes', 'largest payload', 'largest event'],
        Object.entries(d.histories).map(([row, h]) => [
          row,
          String(h.runs),
          `${h.events.median} / ${h.events.max}`,
          `${h.workflowTasks.median} / ${h.workflowTasks.max}`,
          `${h.activityTasks.median} / ${h.activityTasks.max}`,
          `${h.localActivities.median} / ${h.localActivities.max}`,
          `${h.historyBytes.median} / ${h.historyBytes.max}`,
          `${h.largestPayloadBytes} B (${h.largestPayloadWhere})`,
          `${h.largestEventBytes} B`,
        ]),
      ),
      '',
    );
  }
  out.push(...whereTheTimeGoes(d));
  return out.join('\n');
}

function whereTheTimeGoes(d: OrderBenchData): string[] {
  const out: string[] = ['**Where the time goes.**', ''];
  const series = d.burst ? (d.burst.small ?? d.burst.full) : undefined;
  const h = d.histories ? Object.entries(d.histories).find(([row]) => row.startsWith('1.'))?.[1] : undefined;
  if (series) {
    const by = (name: string) => series.cpuMsPerOrderByProcess[name]?.median ?? 0;
    const total = ENGINE_PROCESSES.reduce((sum, name) => sum + by(name), 0);
    const share = (name: string) => `${by(name).toFixed(1)} ms (${f0((by(name) / total) * 100)} %)`;
    out.push(
      `- CPU per order in the burst of ${series.orders}: ${total.toFixed(1)} ms = dev server ${share('devServer')}, central ${share('central')}, agents ${share('agents')}. ` +
        `On ${d.machine.cores} cores that CPU alone caps the engine at ${f0((d.machine.cores * 1000) / total)} orders/s; ` +
        `the goal of ${GOALS.burstOrdersPerSecond}/s allows ${f0((d.machine.cores * 1000) / GOALS.burstOrdersPerSecond)} ms per order for everything, the bench's ${by('bench').toFixed(1)} ms included.`,
    );
    if (h) {
      const tasks = h.workflowTasks.median + h.activityTasks.median;
      out.push(
        `- Per order the server runs ${h.workflowTasks.median} workflow tasks and ${h.activityTasks.median} activity tasks (${h.events.median} history events, ${h.historyBytes.median} bytes): ` +
          `${(by('devServer') / tasks).toFixed(1)} ms of dev server CPU per task, and ${(by('central') / h.workflowTasks.median).toFixed(1)} ms of central CPU per workflow task ` +
          `(the ${h.workflowTasks.median} workflow tasks, with the order's read and write-back as ${h.localActivities.median} local activities inside them; the agent runs the raise: ${by('agents').toFixed(1)} ms).`,
      );
    }
  }
  if (d.codec && h) {
    const c = d.codec;
    out.push(
      `- Payload codec (JSON + AES-256-GCM, timed in the bench process): ${c.preparedOrderMicros.toFixed(0)} µs per encode + decode of a prepared order (${c.preparedOrderBytes} bytes), ` +
        `${c.smallMicros.toFixed(0)} µs for a small input; ${h.payloadsPerRun} payloads per run ≈ ${((h.payloadsPerRun * c.smallMicros + c.preparedOrderMicros) / 1000).toFixed(1)} ms per order in all processes together.`,
    );
  }
  if (d.profile) {
    const p = d.profile;
    out.push(
      '- Variants (--profile, outside the budget, one burst each):',
      '',
      markdownTable(
        ['variant', 'orders', 'orders/s', 'CPU ms per order (dev server / central / agents / bench)'],
        p.variants.map((v) => [
          v.name,
          String(v.orders),
          `${v.complete ? '' : '< '}${f1(v.ordersPerSecond)}`,
          ['devServer', 'central', 'agents', 'bench'].map((name) => f1(v.cpuMsPerOrder[name] ?? 0)).join(' / '),
        ]),
      ),
      '',
    );
    for (const prof of p.profiles) {
      const busy = prof.threads.reduce((sum, t) => sum + t.busyMsPerOrder, 0);
      out.push(
        `- ${prof.process} under --cpu-prof: ${prof.processCpuMsPerOrder.toFixed(1)} ms CPU per order, ${busy.toFixed(1)} ms of it in its JS threads ` +
          `(${prof.threads.map((t) => `${t.busyMsPerOrder.toFixed(1)} ms mostly ${t.topCategory}`).join('; ')}); the other ${Math.max(0, prof.processCpuMsPerOrder - busy).toFixed(1)} ms ` +
          "in the Rust core's threads (gRPC, protobuf, pollers) and V8's helper threads. By category (ms per order): " +
          prof.categories.map((c) => `${c.name} ${c.ms.toFixed(2)}`).join(', ') +
          '. Top functions: ' +
          prof.functions
            .slice(0, 8)
            .map((c) => `\`${c.name}\` ${c.ms.toFixed(2)}`)
            .join(', ') +
          '.',
      );
    }
  } else {
    out.push("- `--profile` adds a burst with the SQLite file on tmpfs and the central worker's and agents' CPU profiles.");
  }
  out.push('');
  return out;
}

// ---------------------------------------------------------------------------------------------------- main

export async function runOrderBenchmarks(options: OrderBenchOptions = {}): Promise<BenchReport> {
  setBenchLabel('orders');
  const started = Date.now();
  const sizes: OrderBenchSizes = { ...(options.quick ? QUICK_SIZES : DEFAULT_SIZES), ...options.sizes };
  const rows = new Set(options.rows ?? [1, 2, 3, 4, 5, 6, 7]);
  const flags = [options.quick ? '--quick' : '', options.keep ? '--keep' : '', options.profile ? '--profile' : '', options.rows ? `--rows ${[...rows].join(',')}` : '']
    .filter(Boolean)
    .join(' ');
  const command = `node --import tsx bench/orders.ts${flags ? ` ${flags}` : ''}`;
  const machine = machineInfo();
  const commit = gitCommit(projectRoot);
  say(command);
  say(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; node ${machine.node}; commit ${commit}; load ${loadAverage()}; sizes ${JSON.stringify(sizes)}`);
  const loadAtStart = loadAverage();
  const machineAtStart = machineCpuSeconds();
  const keep = options.keep ?? false;

  const { stack, rawActivities } = await newStack({ keep });
  const run: Run = {
    stack,
    sizes,
    keep,
    skus: stack
      .omni()
      .catalog()
      .filter((item) => item.STOCKCODE !== 'SHIP')
      .map((item) => ({ sku: item.STOCKCODE, price: Number(item.SELLINGPRICE1) || 99 })),
    rawActivities,
    dirty: false,
    stacksStarted: 1,
    histories: rows.has(6) ? {} : undefined,
    budgetEnd: started + sizes.budgetSeconds * 1000,
    rows,
    cuts: [],
  };
  try {
    await warmUp(run);
    say('warm-up done');
    const data: OrderBenchData = {
      date: new Date(started).toISOString(),
      machine,
      commit,
      command,
      sizes,
      sizing: { ...stack.sizing },
      seconds: 0,
      stacksStarted: 0,
      cuts: run.cuts,
      load: { atStart: loadAtStart, atEnd: '', machineBusyPercent: 0 },
    };
    if (rows.has(1)) data.burst = await burstRow(run);
    if (rows.has(2)) {
      await cleanStack(run, 'row 1 left orders in flight');
      data.steady = await steadyRow(run);
    }
    if (rows.has(3)) {
      await cleanStack(run, 'row 2 left orders in flight');
      data.defaultLimits = await defaultLimitsRow(run);
    }
    if (rows.has(4)) {
      await cleanStack(run, 'an earlier row left orders in flight');
      data.outage = await outageRow(run);
    }
    if (rows.has(5)) {
      await cleanStack(run, 'an earlier row left orders in flight');
      data.memory = await memoryRow(run);
    }
    if (rows.has(7)) {
      await cleanStack(run, 'an earlier row left orders in flight');
      data.slowStock2Shop = await slowStock2ShopRow({
        stack: run.stack,
        orders: sizes.slowStock2ShopOrders,
        place: (connection, code, i) => placeOrder(run, connection, code, linesFor(run, i)),
        raisedBy: (codes, deadline) => raisedBy(run, codes, deadline),
        deadline: rowDeadline(run, 7),
        deliveryConcurrency: sizes.deliveryConcurrency,
      });
      if (!data.slowStock2Shop.fast.allRaised || !data.slowStock2Shop.slow.allRaised) run.dirty = true;
    }
    data.histories = run.histories;
    data.codec = await codecCost(run);
    say(`payload codec: ${data.codec.preparedOrderMicros.toFixed(0)} µs per encode+decode of a prepared order (${data.codec.preparedOrderBytes} B), ${data.codec.smallMicros.toFixed(0)} µs for a small input`);
    const machineAtEnd = machineCpuSeconds();
    data.load.atEnd = loadAverage();
    data.load.machineBusyPercent = ((machineAtEnd.busy - machineAtStart.busy) / Math.max(1e-9, machineAtEnd.total - machineAtStart.total)) * 100;
    data.seconds = (Date.now() - started) / 1000;
    if (options.profile) data.profile = await profileRun(run);
    data.stacksStarted = run.stacksStarted;

    const goals = goalRows(data);
    return { title: 'Orders (bench/orders.ts)', command, seconds: (Date.now() - started) / 1000, goals, markdown: markdownOf(data, goals), data };
  } finally {
    await run.stack.stop();
  }
}

if (require.main === module) {
  runBench('orders', async () => {
    const { values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        rows: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(readFileSync(__filename, 'utf8').split('*/')[0]!.replace(/^\/\*\*?/, '').replace(/^ \* ?/gm, '') + '\n');
      return;
    }
    const rows = values.rows?.split(',').map((r) => Number(r.trim()));
    if (rows?.some((r) => !Number.isInteger(r) || r < 1 || r > 7)) throw new Error(`--rows ${values.rows}: use row numbers 1 to 7, e.g. --rows 1,3`);
    const report = await runOrderBenchmarks({ quick: values.quick, keep: values.keep, profile: values.profile, ...(rows ? { rows } : {}) });
    const lines = [
      '',
      `=== ${report.title} ===`,
      '',
      ...report.goals.map((g) => `${g.verdict === 'met' ? 'met   ' : 'MISSED'}  ${g.benchmark}: ${g.measured} (goal ${g.goal})`),
      '',
      report.markdown,
      '',
      `wall time ${f0(report.seconds)} s`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    process.stdout.write(`BENCH_ORDERS_JSON ${JSON.stringify({ title: report.title, command: report.command, seconds: report.seconds, goals: report.goals, data: report.data })}\n`);
  });
}
