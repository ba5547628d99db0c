/** Row 3: 100 orders at once, default limits (4 at once, 20 requests/s): engine orders/s ÷ raw orders/s. */
import { say, sleep } from '../harness';
import { formatSpread, spreadOf, verdict, type GoalRow, type Spread } from '../report';
import { codesOf, f0, f1, GOALS, rowDeadline, type Run } from './kit';
import { engineBurst, engineCpu, rawBurst, type EngineBurst } from './pipeline';

export interface DefaultLimitsRow {
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

export async function defaultLimitsRow(run: Run): Promise<DefaultLimitsRow> {
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

// ------------------------------------------------------------------------------------------------- report

export function defaultLimitsGoalRows(x: DefaultLimitsRow): GoalRow[] {
  return [
    {
      benchmark: `${x.orders} orders at once, default limits (${x.limits.maxConcurrent} at once, ${x.limits.perSecond}/s)`,
      goal: 'within 10 % of raw (engine/raw ≥ 0.90)',
      measured: `engine/raw ${x.complete ? '' : '< '}${formatSpread(x.engineOverRaw, '', 3)} (engine ${formatSpread(x.engineOrdersPerSecond, '', 2)}, raw ${formatSpread(x.rawOrdersPerSecond, '', 2)} orders/s${x.complete ? '' : '; cut'})`,
      verdict: verdict(x.complete && x.engineOverRaw.median >= GOALS.defaultLimitRatio),
    },
  ];
}

export function defaultLimitsMarkdown(x: DefaultLimitsRow): string[] {
  return [
    `**3. ${x.orders} orders at once, default limits** (${x.limits.maxConcurrent} requests at once, ${x.limits.perSecond} per second; a raise is a find and a create, ` +
      `so at most ${x.limits.perSecond / 2} orders/s), ${x.repeats} repeat(s): engine ${formatSpread(x.engineOrdersPerSecond, ' orders/s', 2)}, raw ${formatSpread(x.rawOrdersPerSecond, ' orders/s', 2)}, ` +
      `engine/raw ${formatSpread(x.engineOverRaw, '', 3)}; engine CPU ${formatSpread(x.cpuMsPerOrder, ' ms', 1)} per order. The size (${x.orders}) keeps the row under 2 minutes; it took ${f0(x.seconds)} s.`,
    '',
  ];
}
