/**
 * Row 8: the confined path against today's. Bursts of the same orders, alternated, on two Omni
 * connections of one stack with the same raised limits: `omni-raised` (its agent on its queue in the
 * central namespace) and `omni-confined` (its agent in its own namespace, reached through its Nexus
 * endpoint with a signed grant). CPU per order (dev server + central + agents) and orders/s of each.
 */
import { say, sleep } from '../harness';
import { formatSpread, spreadOf, verdict, type GoalRow, type Spread } from '../report';
import { codesOf, f1, rowDeadline, type Run } from './kit';
import { engineBurst, engineCpu } from './pipeline';

/** The confined path may cost this much more CPU per order than today's. */
export const CONFINED_CPU_RATIO_GOAL = 1.25;

interface PathFigures {
  cpuMsPerOrder: Spread;
  ordersPerSecond: Spread;
  cpuMsPerOrderByProcess: Record<string, Spread>;
}

export interface ConfinedRow {
  orders: number;
  repeats: number;
  complete: boolean;
  today: PathFigures;
  /** Null when the row was cut before a confined burst ended. */
  confined: PathFigures | null;
  cpuRatio: Spread | null;
}

function figures(bursts: Awaited<ReturnType<typeof engineBurst>>[]): PathFigures {
  const perProcess: Record<string, Spread> = {};
  for (const name of Object.keys(bursts[0]!.cpu)) perProcess[name] = spreadOf(bursts.map((b) => ((b.cpu[name] ?? 0) * 1000) / b.orders));
  return {
    cpuMsPerOrder: spreadOf(bursts.map((b) => (engineCpu(b.cpu) * 1000) / b.orders)),
    ordersPerSecond: spreadOf(bursts.map((b) => b.ordersPerSecond)),
    cpuMsPerOrderByProcess: perProcess,
  };
}

export async function confinedRow(run: Run): Promise<ConfinedRow> {
  const rowEnd = rowDeadline(run, 8);
  const n = run.sizes.confinedOrders;
  const today: Awaited<ReturnType<typeof engineBurst>>[] = [];
  const confined: typeof today = [];
  // A first confined burst, untimed: the agent's workflow bundle and the endpoint's first calls.
  await engineBurst(run, run.stack.connection('omni-confined'), codesOf(`CW${run.stacksStarted}`, 10), Date.now() + 60_000);
  let burstsLeft = 2 * run.sizes.repeats;
  for (let rep = 1; rep <= run.sizes.repeats; rep += 1) {
    for (const [id, into, prefix] of [
      ['omni-raised', today, 'CT'],
      ['omni-confined', confined, 'CC'],
    ] as const) {
      const burst = await engineBurst(run, run.stack.connection(id), codesOf(`${prefix}${rep}`, n), Date.now() + (rowEnd - Date.now()) / burstsLeft);
      burstsLeft -= 1;
      into.push(burst);
      say(`row 8, repeat ${rep}, ${id}: ${n} orders ${burst.complete ? '' : 'CUT '}${f1(burst.ordersPerSecond)} orders/s, CPU ${f1((engineCpu(burst.cpu) * 1000) / n)} ms/order`);
      if (!burst.complete) return summary(run, n, today, confined, false);
      await sleep(1000);
    }
  }
  return summary(run, n, today, confined, true);
}

function summary(run: Run, n: number, today: Awaited<ReturnType<typeof engineBurst>>[], confined: typeof today, complete: boolean): ConfinedRow {
  if (!complete) run.cuts.push(`row 8: a burst of ${n} was not raised in its share of the row's time`);
  const pairs = Math.min(today.length, confined.length);
  const cpu = (b: (typeof today)[number]) => engineCpu(b.cpu) / b.orders;
  return {
    orders: n,
    repeats: pairs,
    complete: complete && pairs > 0,
    today: figures(today),
    confined: confined.length > 0 ? figures(confined) : null,
    cpuRatio: pairs > 0 ? spreadOf(Array.from({ length: pairs }, (_, i) => cpu(confined[i]!) / cpu(today[i]!))) : null,
  };
}

export function confinedGoalRows(row: ConfinedRow): GoalRow[] {
  const { confined, cpuRatio } = row;
  if (!confined || !cpuRatio) {
    return [{ benchmark: `confined path: CPU per order against today's path, bursts of ${row.orders}`, goal: `≤ ${CONFINED_CPU_RATIO_GOAL}× today's`, measured: 'cut before a pair of bursts ended', verdict: verdict(false) }];
  }
  return [
    {
      benchmark: `confined path (agent in its client's namespace, through its Nexus endpoint): CPU per order against today's path, bursts of ${row.orders}`,
      goal: `≤ ${CONFINED_CPU_RATIO_GOAL}× today's`,
      measured:
        `${formatSpread(cpuRatio, '×', 2)}: ${formatSpread(confined.cpuMsPerOrder, ' ms', 1)} against ${formatSpread(row.today.cpuMsPerOrder, ' ms', 1)}; ` +
        `${formatSpread(confined.ordersPerSecond, ' orders/s', 1)} against ${formatSpread(row.today.ordersPerSecond, ' orders/s', 1)}`,
      verdict: verdict(row.complete && cpuRatio.median <= CONFINED_CPU_RATIO_GOAL),
    },
  ];
}

const byProcess = (p: PathFigures) =>
  Object.entries(p.cpuMsPerOrderByProcess)
    .map(([name, s]) => `${name} ${s.median.toFixed(1)}`)
    .join(', ');

export function confinedMarkdown(row: ConfinedRow): string[] {
  if (!row.confined || !row.cpuRatio) return [`**8. The confined path.** Cut before a pair of bursts of ${row.orders} ended.`, ''];
  return [
    `**8. The confined path.** ${row.repeats} pair(s) of bursts of ${row.orders}, alternated on one stack: today's path (the agent's queue in the central namespace) ` +
      `${formatSpread(row.today.ordersPerSecond, ' orders/s', 1)}, CPU ${formatSpread(row.today.cpuMsPerOrder, ' ms', 1)} per order (${byProcess(row.today)}); ` +
      `confined (a Nexus operation per raise, backed by a run in the client's namespace) ${formatSpread(row.confined.ordersPerSecond, ' orders/s', 1)}, ` +
      `CPU ${formatSpread(row.confined.cpuMsPerOrder, ' ms', 1)} per order (${byProcess(row.confined)}): ${formatSpread(row.cpuRatio, '×', 2)} of today's.`,
    '',
  ];
}
