/**
 * Row 1: 1,000 orders at once, raised limits, on the path `npm start` uses (a confined connection: each
 * raise a Nexus operation to its agent in the client's namespace): orders/s from the first delivery to
 * the last raised; CPU per order (dev server + central + agents, during the burst) and per process, the
 * central worker's own against its goal; raw orders/s; what one order costs the server (server-cost.ts).
 * A burst cut after twice the goal's time is measured again at a tenth of the size on a fresh stack.
 */
import type { Connection } from '../../domain';
import { say, sleep } from '../harness';
import { formatSpread, spreadOf, verdict, type GoalRow, type Spread } from '../report';
import { codesOf, f0, f1, GOALS, rowDeadline, type OrderBenchSizes, type Run } from './kit';
import { engineBurst, engineCpu, ENGINE_PROCESSES, rawBurst, SETTLE_MS, type EngineBurst } from './pipeline';
import { cleanStack } from './stack';
import { readHistories } from './histories';
import { idleCostOf, serverCostOf, type ServerCost } from './server-cost';

export interface BurstSeries {
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
  /** The dev server's counters and the history events, per order over the series' bursts. */
  server: ServerCost;
}

export interface BurstRow {
  /** At the row's size (1,000). */
  full: BurstSeries;
  /** At a tenth of it, when the full burst was cut. */
  small: BurstSeries | null;
  cutAfterSeconds: number;
  /** The stack before the bursts, no order in flight: the server's counters and CPU per second. */
  idle: ServerCost;
}

/** Up to `repeats` × (raw, engine) bursts of `n`; stops at the first engine burst cut (by `cutAfterMs` or the row's end). */
async function burstSeries(run: Run, connection: Connection, n: number, prefix: string, rowEnd: number, cutAfterMs: number, row: string): Promise<BurstSeries> {
  const engine: EngineBurst[] = [];
  const raw: number[] = [];
  // What ran before (a warm-up) reaches the server's counters before the first burst's scrape.
  await sleep(SETTLE_MS);
  for (let rep = 1; rep <= run.sizes.repeats; rep += 1) {
    const r = await rawBurst(run, connection, codesOf(`R${prefix}${rep}`, n));
    raw.push(r.ordersPerSecond);
    await sleep(500);
    const left = run.sizes.repeats - rep + 1;
    const deadline = Math.min(Date.now() + cutAfterMs, Date.now() + (rowEnd - Date.now()) / left);
    const e = await engineBurst(run, connection, codesOf(`${prefix}${rep}`, n), deadline, { serverMetrics: true });
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
  const server = await serverCostOf(run, `row 1: confined, ${n} at once`, 'confined', connection, engine);
  if (run.histories && last.raisedCodes.length > 0) await readHistories(run, `1. burst of ${n}`, connection.id, last.raisedCodes);
  return {
    server,
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

/** How long the idle stack is measured, before the bursts. */
const IDLE_SECONDS = 3;

export async function burstRow(run: Run): Promise<BurstRow> {
  const rowEnd = rowDeadline(run, 1);
  const connection = run.stack.connection('omni-raised');
  const n = run.sizes.burstOrders;
  // Twice the time the goal allows: a burst still running then is under half the goal's rate.
  const cutAfterSeconds = Math.max(20, (2 * n) / GOALS.burstOrdersPerSecond);
  const idle = await idleCostOf(run, IDLE_SECONDS);
  const full = await burstSeries(run, connection, n, 'B', rowEnd, cutAfterSeconds * 1000, 'row 1');
  let small: BurstSeries | null = null;
  if (!full.complete) {
    run.cuts.push(`row 1: ${n} orders at once not all raised after ${cutAfterSeconds} s`);
    await cleanStack(run, 'the cut burst left orders in flight');
    const m = Math.max(10, Math.round(n / 10));
    small = await burstSeries(run, run.stack.connection('omni-raised'), m, 'b', rowEnd, Number.MAX_SAFE_INTEGER, 'row 1 at a tenth');
  }
  return { full, small, cutAfterSeconds, idle };
}

// ------------------------------------------------------------------------------------------------- report

const seriesRate = (s: BurstSeries, unit = ' orders/s', digits = 1) =>
  s.complete ? formatSpread(s.engineOrdersPerSecond, unit, digits) : `< ${s.engineOrdersPerSecond.median.toFixed(digits)}${unit} (cut: ${s.raisedWhenCut} of ${s.orders} raised after ${f0(s.seconds.median)} s; once)`;

export function burstGoalRows(burst: BurstRow): GoalRow[] {
  const { full, small } = burst;
  const measured = small ?? full;
  const cpuOk = measured.complete && measured.cpuMsPerOrder.median <= GOALS.burstCpuMsPerOrder;
  const central = measured.cpuMsPerOrderByProcess.central;
  const bound = measured.complete ? '' : '≥ ';
  const cutNote = small ? ` (bursts of ${small.orders}: the ${full.orders} were cut)` : '';
  return [
    {
      benchmark: `${full.orders} orders at once, raised limits, confined path (as npm start): throughput`,
      goal: `≥ ${GOALS.burstOrdersPerSecond} orders/s`,
      measured:
        `${seriesRate(full)}; raw ${formatSpread(full.rawOrdersPerSecond, ' orders/s', 0)}` +
        (small ? `; ${small.orders} at once: ${seriesRate(small)}, raw ${formatSpread(small.rawOrdersPerSecond, ' orders/s', 0)}` : ''),
      verdict: verdict(full.complete && full.engineOrdersPerSecond.median >= GOALS.burstOrdersPerSecond),
    },
    {
      benchmark: `${full.orders} orders at once: CPU per order, dev server + central worker + agents, through the path npm start uses (confined: a Nexus operation per raise)`,
      goal: `≤ ${GOALS.burstCpuMsPerOrder} ms`,
      measured:
        `${bound}${formatSpread(measured.cpuMsPerOrder, ' ms', 1)}${cutNote} (${Object.entries(measured.cpuMsPerOrderByProcess)
          .filter(([name]) => ENGINE_PROCESSES.includes(name))
          .map(([name, s]) => `${name} ${s.median.toFixed(1)}`)
          .join(', ')})`,
      verdict: verdict(cpuOk),
    },
    {
      benchmark: `${full.orders} orders at once: the central worker's own CPU per order (confined path)`,
      goal: `≤ ${GOALS.centralCpuMsPerOrder} ms`,
      measured: central ? `${bound}${formatSpread(central, ' ms', 1)}${cutNote}` : 'not measured (no central worker sample)',
      verdict: verdict(measured.complete && central !== undefined && central.median <= GOALS.centralCpuMsPerOrder),
    },
  ];
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

export function burstMarkdown(burst: BurstRow, sizes: OrderBenchSizes): string[] {
  const { full, small } = burst;
  return [
    `**1. ${full.orders} orders at once, raised limits, on the confined path** (\`omni-raised\`: its agent in its client's namespace, each raise a Nexus operation, as \`npm start\` runs an Omni connection). ` +
      `All placed in Stock2Shop, then delivered ${sizes.deliveryConcurrency} at a time; orders/s = orders ÷ (last raised − first delivery); ` +
      `CPU = utime + stime from /proc over the burst, each process with its children (bench = the simulators and the deliveries, not counted in the goal). ` +
      `${seriesText(full)}.` +
      (small
        ? ` The ${full.orders} were cut after ${burst.cutAfterSeconds} s (twice the goal's time), so the burst was measured again at a tenth of the size on a fresh stack: ${seriesText(small)}.`
        : ''),
    '',
  ];
}
