/**
 * The order rows' report: the goal rows and the markdown, each row's own from its module, in row order,
 * after the run's context (machine, stack, raw pipeline, time budget) and before "Where the time goes".
 */
import type { machineInfo } from '../proc';
import { markdownTable, type GoalRow } from '../report';
import { f0, f1, GOALS, type OrderBenchSizes } from './kit';
import { ENGINE_PROCESSES } from './pipeline';
import { burstGoalRows, burstMarkdown, type BurstRow } from './burst';
import { steadyGoalRows, steadyMarkdown, type SteadyRow } from './steady';
import { defaultLimitsGoalRows, defaultLimitsMarkdown, type DefaultLimitsRow } from './default-limits';
import { outageGoalRows, outageMarkdown, type OutageRow } from './outage';
import { memoryGoalRows, memoryMarkdown, type MemoryRow } from './memory';
import { historiesGoalRows, historiesMarkdown, type HistoryFigures } from './histories';
import { slowStock2ShopGoalRows, type SlowStock2ShopRow } from './slow-stock2shop';
import { codecMarkdown, type CodecCost } from './codec';
import { confinedGoalRows, confinedMarkdown, type ConfinedRow } from './confined';
import { profileMarkdown, type ProfileRun } from './profile';
import { serverCostMarkdown, type ServerCost } from './server-cost';

export interface OrderBenchData {
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
  confined?: ConfinedRow;
  histories?: Record<string, HistoryFigures>;
  codec?: CodecCost;
  profile?: ProfileRun;
  load: { atStart: string; atEnd: string; machineBusyPercent: number };
}

export function goalRows(d: OrderBenchData): GoalRow[] {
  const { burst, steady, defaultLimits, outage, memory, histories } = d;
  return [
    ...(burst ? burstGoalRows(burst) : []),
    ...(steady ? steadyGoalRows(steady, d.sizes) : []),
    ...(defaultLimits ? defaultLimitsGoalRows(defaultLimits) : []),
    ...(outage ? outageGoalRows(outage) : []),
    ...(memory ? memoryGoalRows(memory) : []),
    ...(d.slowStock2Shop ? slowStock2ShopGoalRows(d.slowStock2Shop) : []),
    ...(d.confined ? confinedGoalRows(d.confined) : []),
    ...(histories && Object.keys(histories).length > 0 ? historiesGoalRows(histories) : []),
  ];
}

/** What was run, on what, and how the figures are taken; then the goals table. */
function contextMarkdown(d: OrderBenchData, goals: GoalRow[]): string[] {
  return [
    '```sh',
    d.command,
    '```',
    '',
    `- **Machine**: ${d.machine.cpuModel}, ${d.machine.cores} cores, ${d.machine.memoryGiB} GiB RAM, Linux ${d.machine.kernel}, node ${d.machine.node}; ` +
      `load average ${d.load.atStart} at the start, ${d.load.atEnd} at the end; the whole machine ${f0(d.load.machineBusyPercent)} % busy over the run (other programs included: the machine is shared).`,
    `- **Commit**: ${d.commit}. **Wall time**: ${f0(d.seconds)} s (${d.stacksStarted} stack(s) started).`,
    `- **Stack**: Temporal dev server with the local engine's dispatch tuning and its SQLite file on disk (as \`npm start\`), the central worker and one agents process ` +
      `(one agent per Omni connection, ${d.sizing.agentActivitySlots} activity slots each), worker sizing ${JSON.stringify(d.sizing)}; ` +
      'simulators and the bench client in the bench process. Raised limits: 32 requests at once, 1,000 per second. ' +
      'Rows 1–5 (and 7) run on confined connections, as `npm start` runs an Omni connection (`"agent": {}`): the agent in its client\'s own namespace, each raise a Nexus operation ' +
      "through that namespace's endpoint; row 8 compares that path with the central-queue one (`omni-central`: the agent's queue in the central namespace).",
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
  ];
}

export function markdownOf(d: OrderBenchData, goals: GoalRow[]): string {
  return [
    ...contextMarkdown(d, goals),
    ...(d.burst ? burstMarkdown(d.burst, d.sizes) : []),
    ...(d.steady ? steadyMarkdown(d.steady, d.sizes) : []),
    ...(d.defaultLimits ? defaultLimitsMarkdown(d.defaultLimits) : []),
    ...(d.outage ? outageMarkdown(d.outage) : []),
    ...(d.memory ? memoryMarkdown(d.memory) : []),
    ...(d.confined ? confinedMarkdown(d.confined) : []),
    ...serverCostMarkdown(serverCosts(d)),
    ...(d.histories && Object.keys(d.histories).length > 0 ? historiesMarkdown(d.histories) : []),
    ...whereTheTimeGoes(d),
  ].join('\n');
}

/** The per-order server cost columns: row 1's (confined), then row 8's confined and central-queue paths, then the idle stack's (per second). */
export function serverCosts(d: OrderBenchData): ServerCost[] {
  const series = d.burst ? (d.burst.small ?? d.burst.full) : undefined;
  return [series?.server, d.confined?.confined?.server, d.confined?.central?.server, d.burst?.idle].filter((c): c is ServerCost => c !== undefined);
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
    const c = series.server;
    const history = c.history ?? { runs: 0, raiseOrder: {}, backingRuns: 0, backing: {} };
    const ev = (r: Record<string, number>, type: string) => r[type] ?? 0;
    const wf = ev(history.raiseOrder, 'WORKFLOW_TASK_COMPLETED');
    const wfBacking = ev(history.backing, 'WORKFLOW_TASK_COMPLETED');
    const activities = ev(history.raiseOrder, 'ACTIVITY_TASK_SCHEDULED') + ev(history.backing, 'ACTIVITY_TASK_SCHEDULED');
    const nexus = ev(history.raiseOrder, 'NEXUS_OPERATION_SCHEDULED');
    const events = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const frontend = c.perOrder ? Object.values(c.perOrder.requests.frontend ?? {}).reduce((a, b) => a + b, 0) : undefined;
    out.push(
      `- Per order (the table above; ${history.runs} raiseOrder histories${history.backingRuns ? ` and ${history.backingRuns} backing runs` : ''} read): ` +
        `${f1(wf)} workflow tasks of raiseOrder${wfBacking ? ` and ${f1(wfBacking)} of the run backing its raise in the client's namespace` : ''}, ${f1(activities)} activity task(s), ${f1(nexus)} Nexus operation(s); ` +
        `${f1(events(history.raiseOrder) + events(history.backing))} history events` +
        (c.perOrder && frontend
          ? `, ${f1(c.perOrder.stateTransitions)} state transitions and ${f1(frontend)} frontend requests: ${(by('devServer') / Math.max(1e-9, c.perOrder.stateTransitions)).toFixed(2)} ms of dev server CPU per state transition, ${(by('devServer') / frontend).toFixed(2)} ms per frontend request`
          : '') +
        `; ${wf ? `${(by('central') / wf).toFixed(1)} ms of central CPU per raiseOrder workflow task` : 'no raiseOrder workflow task read'} ` +
        `(the order's read and write-back run as local activities inside them), the agents ${by('agents').toFixed(1)} ms (the raise${wfBacking ? ', the Nexus handler and the backing run\'s workflow tasks' : ''}).`,
    );
  }
  if (d.codec && h) out.push(codecMarkdown(d.codec, h));
  out.push(...profileMarkdown(d.profile));
  out.push('');
  return out;
}
