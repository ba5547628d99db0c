/**
 * Row 8: the confined path (the one `npm start` uses) against the central-queue path. Bursts of the
 * same orders, alternated, on two Omni connections of one stack with the same raised limits:
 * `omni-raised` (confined: its agent in its own namespace, reached through its Nexus endpoint with a
 * signed grant; the connection of rows 1 and 2) and `omni-central` (its agent on its queue in the
 * central namespace). CPU per order (dev server + central + agents), orders/s, and what one order
 * costs the server (server-cost.ts) on each.
 */
import { say, sleep } from '../harness';
import { formatSpread, spreadOf, verdict, type GoalRow, type Spread } from '../report';
import { codesOf, f1, rowDeadline, type Run } from './kit';
import { engineBurst, engineCpu, SETTLE_MS, type EngineBurst } from './pipeline';
import { serverCostOf, type ServerCost } from './server-cost';

/** The confined path may cost this much more CPU per order than the central-queue path. */
export const CONFINED_CPU_RATIO_GOAL = 1.25;

const CONFINED_CONNECTION = 'omni-raised';
const CENTRAL_CONNECTION = 'omni-central';

interface PathFigures {
  cpuMsPerOrder: Spread;
  ordersPerSecond: Spread;
  cpuMsPerOrderByProcess: Record<string, Spread>;
  server: ServerCost;
}

export interface ConfinedRow {
  orders: number;
  repeats: number;
  complete: boolean;
  /** The central-queue path; null when the row was cut before one of its bursts ended. */
  central: PathFigures | null;
  /** Null when the row was cut before a confined burst ended. */
  confined: PathFigures | null;
  cpuRatio: Spread | null;
}

async function figures(run: Run, id: string, bursts: EngineBurst[], label: string, path: 'confined' | 'central queue'): Promise<PathFigures | null> {
  if (bursts.length === 0) return null;
  const perProcess: Record<string, Spread> = {};
  for (const name of Object.keys(bursts[0]!.cpu)) perProcess[name] = spreadOf(bursts.map((b) => ((b.cpu[name] ?? 0) * 1000) / b.orders));
  return {
    cpuMsPerOrder: spreadOf(bursts.map((b) => (engineCpu(b.cpu) * 1000) / b.orders)),
    ordersPerSecond: spreadOf(bursts.map((b) => b.ordersPerSecond)),
    cpuMsPerOrderByProcess: perProcess,
    server: await serverCostOf(run, label, path, run.stack.connection(id), bursts),
  };
}

export async function confinedRow(run: Run): Promise<ConfinedRow> {
  const rowEnd = rowDeadline(run, 8);
  const n = run.sizes.confinedOrders;
  const central: EngineBurst[] = [];
  const confined: EngineBurst[] = [];
  // A first central-queue burst, untimed (the warm-up ran the confined connection): its agent's queue and the first calls.
  await engineBurst(run, run.stack.connection(CENTRAL_CONNECTION), codesOf(`CW${run.stacksStarted}`, 10), Date.now() + 60_000);
  // Its tail reaches the server's counters before the first burst's scrape.
  await sleep(SETTLE_MS);
  let burstsLeft = 2 * run.sizes.repeats;
  let complete = true;
  rounds: for (let rep = 1; rep <= run.sizes.repeats; rep += 1) {
    for (const [id, into, prefix] of [
      [CENTRAL_CONNECTION, central, 'CT'],
      [CONFINED_CONNECTION, confined, 'CC'],
    ] as const) {
      const burst = await engineBurst(run, run.stack.connection(id), codesOf(`${prefix}${rep}`, n), Date.now() + (rowEnd - Date.now()) / burstsLeft, { serverMetrics: true });
      burstsLeft -= 1;
      into.push(burst);
      say(`row 8, repeat ${rep}, ${id}: ${n} orders ${burst.complete ? '' : 'CUT '}${f1(burst.ordersPerSecond)} orders/s, CPU ${f1((engineCpu(burst.cpu) * 1000) / n)} ms/order`);
      if (!burst.complete) {
        complete = false;
        break rounds;
      }
      await sleep(1000);
    }
  }
  if (!complete) run.cuts.push(`row 8: a burst of ${n} was not raised in its share of the row's time`);
  const pairs = Math.min(central.length, confined.length);
  const cpu = (b: EngineBurst) => engineCpu(b.cpu) / b.orders;
  return {
    orders: n,
    repeats: pairs,
    complete: complete && pairs > 0,
    central: await figures(run, CENTRAL_CONNECTION, central, `row 8: central queue, ${n} at once`, 'central queue'),
    confined: await figures(run, CONFINED_CONNECTION, confined, `row 8: confined, ${n} at once`, 'confined'),
    cpuRatio: pairs > 0 ? spreadOf(Array.from({ length: pairs }, (_, i) => cpu(confined[i]!) / cpu(central[i]!))) : null,
  };
}

export function confinedGoalRows(row: ConfinedRow): GoalRow[] {
  const { confined, central, cpuRatio } = row;
  const benchmark = `confined path (as npm start: agent in its client's namespace, a Nexus operation per raise): CPU per order against the central-queue path, bursts of ${row.orders}`;
  const goal = `≤ ${CONFINED_CPU_RATIO_GOAL}× the central-queue path's`;
  if (!confined || !central || !cpuRatio) return [{ benchmark, goal, measured: 'cut before a pair of bursts ended', verdict: verdict(false) }];
  return [
    {
      benchmark,
      goal,
      measured:
        `${formatSpread(cpuRatio, '×', 2)}: ${formatSpread(confined.cpuMsPerOrder, ' ms', 1)} against ${formatSpread(central.cpuMsPerOrder, ' ms', 1)}; ` +
        `${formatSpread(confined.ordersPerSecond, ' orders/s', 1)} against ${formatSpread(central.ordersPerSecond, ' orders/s', 1)}`,
      verdict: verdict(row.complete && cpuRatio.median <= CONFINED_CPU_RATIO_GOAL),
    },
  ];
}

const byProcess = (p: PathFigures) =>
  Object.entries(p.cpuMsPerOrderByProcess)
    .map(([name, s]) => `${name} ${s.median.toFixed(1)}`)
    .join(', ');

export function confinedMarkdown(row: ConfinedRow): string[] {
  const { confined, central, cpuRatio } = row;
  if (!confined || !central || !cpuRatio) return [`**8. The confined path against the central-queue path.** Cut before a pair of bursts of ${row.orders} ended.`, ''];
  return [
    `**8. The confined path against the central-queue path.** ${row.repeats} pair(s) of bursts of ${row.orders}, alternated on one stack: ` +
      `the central-queue path (\`${CENTRAL_CONNECTION}\`: the agent's queue in the central namespace) ` +
      `${formatSpread(central.ordersPerSecond, ' orders/s', 1)}, CPU ${formatSpread(central.cpuMsPerOrder, ' ms', 1)} per order (${byProcess(central)}); ` +
      `confined (\`${CONFINED_CONNECTION}\`: a Nexus operation per raise, backed by a run in the client's namespace) ${formatSpread(confined.ordersPerSecond, ' orders/s', 1)}, ` +
      `CPU ${formatSpread(confined.cpuMsPerOrder, ' ms', 1)} per order (${byProcess(confined)}): ${formatSpread(cpuRatio, '×', 2)} of the central-queue path's.`,
    '',
  ];
}
