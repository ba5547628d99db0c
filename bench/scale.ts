/**
 * The engine at scale on this machine: many connections, scheduled product syncs, a steady stream of
 * orders and a pile of open orders, with the central worker and the Omni agents as their own OS
 * processes, as in production.
 *
 *   node --import tsx bench/scale.ts [--connections 200] [--minutes 15] [--order-rate 1] [--open-orders 1000]
 *                                    [--items 100] [--agent-processes 1] [--agent-slots 4] [--drain-seconds 180]
 *                                    [--ratio-repeats 5] [--keep]
 *
 *   --items            catalog size of each simulator (every connection of a kind shares it)
 *   --agent-processes  how many processes share the Omni agents; --agent-slots their activity slots
 *                      each (the SDK polls with min(10, slots) pollers per worker)
 *   --keep             keep the temp dir (SQLite file, worker logs, connections file)
 *   The workers get this process's environment (minus TEMPORAL_*, CONNECTIONS_FILE, DATA_DIR and the
 *   like), so the sizing variables (WORKFLOW_CACHE_SIZE, …) and DATABASE_URL pass through.
 *
 * What it starts (and stops at the end, also on Ctrl-C or an error): a fresh Temporal dev server
 * (SQLite file in a temp dir, free ports), the three simulators in this process (one each, serving
 * every connection, small catalogs), a connections file with N connections (half Omni Accounts every
 * 3 minutes, half iSync hourly, each with its own Stock2Shop source id and token), the central worker
 * (`worker/central.ts`) and the Omni agents (`bench/agents.ts`, many connections per process).
 *
 * The run:
 *   1. engine/raw at idle: one full product pass of an Omni and of an iSync connection, done directly
 *      (connector + mapping + Stock2Shop push, no Temporal) and through the engine (`productSync`);
 *   2. every connection's schedules applied, and a first sync of each triggered (as `npm start` does);
 *   3. `--open-orders` orders whose SKU the source does not hold: each waits for a person;
 *      the central worker's RSS once they all wait;
 *   4. the timed window: `--order-rate` orders a second for `--minutes`, spread over the connections
 *      (added to Stock2Shop, then delivered as the webhook does); engine/raw again halfway, under load;
 *   5. a drain of up to `--drain-seconds` for the last orders, then the figures: schedule lag of every
 *      scheduled run, orders by final state and delivery→raised time, RSS and CPU of each process,
 *      the database size when DATABASE_URL is set.
 * The last line is the result as JSON (`BENCH_SCALE_JSON {...}`). A benchmark, run by hand: not a test.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { CENTRAL_TASK_QUEUE, manualProductSyncWorkflowId, productSyncScheduleId, raiseOrderWorkflowId, type Connection } from '../domain';
import { createSourceConnector } from '../connectors';
import { syncOneProductPage } from '../activities/product-pages';
import { applyConnectionSchedules, orderPollScheduleId } from '../client/schedules';
import { deliverOrder } from '../temporal/deliver-order';
import { statusQuery, type OrderStatus } from '../contracts/workflows';
import type { ProductSyncSummary } from '../contracts/workflows';
import { loadConnections } from '../config/config';
import { gitCommit, loadAverage, machineCpuSeconds, machineInfo, mib } from './proc';
import { benchOrder, mapLimit, MemoryStore, projectRoot, runBench, say, sleep, startBenchStack, waitUntil, type OrderLine } from './harness';
import { fmtMs, fmtStats, round1, roundStats, stats, type Stats } from './report';

// ---------------------------------------------------------------------------------------------- options

const { values: flags } = parseArgs({
  options: {
    connections: { type: 'string', default: '200' },
    minutes: { type: 'string', default: '15' },
    'order-rate': { type: 'string', default: '1' },
    'open-orders': { type: 'string', default: '1000' },
    items: { type: 'string', default: '100' },
    'agent-processes': { type: 'string', default: '1' },
    'agent-slots': { type: 'string', default: '4' },
    'drain-seconds': { type: 'string', default: '180' },
    'ratio-repeats': { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(readFileSync(__filename, 'utf8').split('*/')[0]!.replace(/^\/\*\*?/, '').replace(/^ \* ?/gm, '') + '\n');
  process.exit(0);
}
function numberFlag(name: keyof typeof flags, { min = 0, integer = true } = {}): number {
  const text = String(flags[name]);
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} ${text}: use ${integer ? 'a whole number' : 'a number'} of at least ${min}`);
  }
  return value;
}
const options = {
  connections: numberFlag('connections', { min: 2 }),
  minutes: numberFlag('minutes', { min: 0, integer: false }),
  orderRate: numberFlag('order-rate', { min: 0, integer: false }),
  openOrders: numberFlag('open-orders'),
  items: numberFlag('items', { min: 10 }),
  agentProcesses: numberFlag('agent-processes', { min: 1 }),
  agentSlots: numberFlag('agent-slots', { min: 1 }),
  drainSeconds: numberFlag('drain-seconds'),
  ratioRepeats: numberFlag('ratio-repeats', { min: 1 }),
  keep: Boolean(flags.keep),
};
const command = `node --import tsx bench/scale.ts ${process.argv.slice(2).join(' ')}`.trim();

// --------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const machine = machineInfo();
  const commit = gitCommit(projectRoot);
  const startedAt = new Date();
  say(`${command}`);
  say(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; node ${machine.node}; commit ${commit}`);

  // One simulator of each kind, in this process, serving every connection; the connections: half Omni
  // (every 3 minutes), half iSync (hourly), each with its own Stock2Shop source id and token.
  const nOmni = Math.ceil(options.connections / 2);
  const stack = await startBenchStack({
    label: 'scale',
    keep: options.keep,
    simulators: [
      { name: 'omni', kind: 'omni', items: options.items },
      { name: 'isync', kind: 'isync', items: options.items },
    ],
    connections: Array.from({ length: options.connections }, (_, i) => {
      const isOmni = i < nOmni;
      const n = String(isOmni ? i + 1 : i - nOmni + 1).padStart(3, '0');
      return isOmni
        ? { id: `omni-${n}`, kind: 'omni' as const, sourceId: 1001 + i, extra: { syncIntervalMinutes: 3 } }
        : { id: `isync-${n}`, kind: 'isync' as const, sourceId: 1001 + i, extra: { syncIntervalMinutes: 60 } };
    }),
    agents: { processes: options.agentProcesses, slots: options.agentSlots },
  });
  const { client, stock2shop, connections, sampler, sizing, dir } = stack;
  const omni = stack.omni();
  const isync = stack.isync();
  const omniConnections = connections.filter((c) => c.sourceKind === 'omni');
  const isyncConnections = connections.filter((c) => c.sourceKind === 'isync');
  const centralReadyMs = stack.readyMs.central ?? 0;
  const agentsReadyMs = stack.readyMs.agents ?? 0;
  if (process.env.DATABASE_URL) say('DATABASE_URL is set: passed to the workers; its size is read at the end');

  // The configuration read: every activity reads and validates the connections file (ActivityDeps.connections).
  const configReads: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const t = performance.now();
    loadConnections(stack.connectionsFile);
    configReads.push(performance.now() - t);
  }
  const configRead = stats(configReads);
  say(`connections file: ${connections.length} connections (${omniConnections.length} Omni, ${isyncConnections.length} iSync); one read+validation ${fmtMs(configRead.median)} (median of 20)`);

  // ---------------------------------------------------------------- 1. engine/raw at idle
  const { secretsOf, stock2shopFor: s2sFor } = stack;

  async function rawPass(connection: Connection): Promise<number> {
    const source = createSourceConnector(connection, secretsOf(connection));
    const store = new MemoryStore();
    const s2s = s2sFor(connection);
    const passId = randomUUID();
    const t = performance.now();
    let cursor: string | null = null;
    do {
      const from: string | null = cursor;
      const page = await syncOneProductPage(
        { connectionId: connection.id, cursor: from, full: true, passId },
        { connection, listPage: () => source.listProducts(from, connection.pageSize), stock2shop: s2s, store, heartbeat: () => undefined },
      );
      cursor = page.nextCursor;
    } while (cursor !== null);
    await store.unseenInPass();
    await store.endPass();
    return performance.now() - t;
  }

  async function enginePass(connection: Connection): Promise<number> {
    for (let tries = 0; ; tries += 1) {
      const t = performance.now();
      const summary = await client.workflow.execute('productSync', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: manualProductSyncWorkflowId(connection.id),
        args: [{ connectionId: connection.id, full: true }],
      });
      const ms = performance.now() - t;
      if (!(summary as ProductSyncSummary).skippedFor) return ms;
      if (tries >= 20) throw new Error(`the engine pass of ${connection.id} was skipped 20 times: a scheduled pass kept running`);
      await sleep(1000);
    }
  }

  interface RatioResult {
    connectionId: string;
    sourceKind: string;
    repeats: number;
    rawMedianMs: number;
    engineMedianMs: number;
    engineOverRaw: number;
  }
  async function ratio(connection: Connection, repeats: number): Promise<RatioResult> {
    await rawPass(connection); // warm-up: connections, JIT
    await enginePass(connection);
    const raw: number[] = [];
    const engine: number[] = [];
    for (let i = 0; i < repeats; i += 1) {
      raw.push(await rawPass(connection));
      engine.push(await enginePass(connection));
    }
    const rawMedianMs = stats(raw).median!;
    const engineMedianMs = stats(engine).median!;
    return {
      connectionId: connection.id,
      sourceKind: connection.sourceKind,
      repeats,
      rawMedianMs: Math.round(rawMedianMs * 10) / 10,
      engineMedianMs: Math.round(engineMedianMs * 10) / 10,
      engineOverRaw: Math.round((engineMedianMs / rawMedianMs) * 10) / 10,
    };
  }
  const describeRatio = (r: RatioResult) =>
    `${r.connectionId}: raw ${fmtMs(r.rawMedianMs)}, engine ${fmtMs(r.engineMedianMs)}, engine/raw ${r.engineOverRaw} (median of ${r.repeats}, full pass of ${options.items} items)`;

  const ratioIdle = [await ratio(omniConnections[0]!, options.ratioRepeats), await ratio(isyncConnections[0]!, options.ratioRepeats)];
  for (const r of ratioIdle) say(`engine/raw at idle, ${describeRatio(r)}`);

  // ---------------------------------------------------------------- 2. schedules
  let t = Date.now();
  const schedulesAppliedFrom = new Date();
  await mapLimit(connections, 8, (c) => applyConnectionSchedules(client, c));
  const applyMs = Date.now() - t;
  say(`schedules applied for ${connections.length} connections in ${(applyMs / 1000).toFixed(1)} s`);
  t = Date.now();
  await mapLimit(connections, 8, (c) => client.schedule.getHandle(productSyncScheduleId(c.id)).trigger());
  const triggeredAt = new Date();
  say(`first sync of each connection triggered in ${((Date.now() - t) / 1000).toFixed(1)} s; waiting for them all to end…`);
  const afterTrigger = `WorkflowType = 'productSync' AND StartTime >= '${new Date(schedulesAppliedFrom.getTime() - 1000).toISOString()}'`;
  let firstSyncsSeconds: number | null = null;
  try {
    await waitUntil('the first syncs to end', 15 * 60_000, async () => {
      const running = (await client.workflow.count(`${afterTrigger} AND ExecutionStatus = 'Running'`)).count;
      const closed = (await client.workflow.count(`${afterTrigger} AND ExecutionStatus != 'Running'`)).count;
      return running === 0 && closed >= connections.length;
    }, 2000);
    firstSyncsSeconds = round1((Date.now() - triggeredAt.getTime()) / 1000);
    say(`first syncs of all ${connections.length} connections ended ${firstSyncsSeconds} s after the triggers`);
  } catch (error) {
    say(`!! ${(error as Error).message}; going on`);
  }

  // Catalog SKUs the orders may name (SHIP is the shipping item).
  const omniSkus: OrderLine[] = omni
    .catalog()
    .filter((item) => item.STOCKCODE !== 'SHIP')
    .map((item) => ({ sku: item.STOCKCODE, price: Number(item.SELLINGPRICE1) || 99 }));
  const isyncSkus: OrderLine[] = isync
    .catalog()
    .filter((item) => item.SKU !== 'SHIP')
    .map((item) => ({ sku: item.SKU, price: 149 }));
  const skusOf = (c: Connection) => (c.sourceKind === 'omni' ? omniSkus : isyncSkus);

  const deliveryCallMs: number[] = [];
  async function placeAndDeliver(connection: Connection, code: string, lines: OrderLine[], timedCall = false): Promise<number> {
    void stock2shop.addOrder(benchOrder(code, connection.stock2shop.sourceId, lines));
    const deliveredAt = Date.now();
    const t0 = performance.now();
    await deliverOrder(client, connection, code, { via: 'webhook' });
    if (timedCall) deliveryCallMs.push(performance.now() - t0);
    return deliveredAt;
  }

  // ---------------------------------------------------------------- 3. open orders
  const openCodes: { code: string; connection: Connection }[] = [];
  let openAllWaitingSeconds: number | null = null;
  let openDeliveredSeconds: number | null = null;
  let rssWithOpenOrders: Record<string, number> = {};
  const rssBeforeOpenOrders = Object.fromEntries(Object.entries(sampler.sampleNow()).map(([name, s]) => [name, mib(s.rss)]));
  if (options.openOrders > 0) {
    t = Date.now();
    const open = Array.from({ length: options.openOrders }, (_, i) => ({
      code: `OPEN-${String(i + 1).padStart(5, '0')}`,
      connection: connections[i % connections.length]!,
    }));
    await mapLimit(open, 16, async ({ code, connection }, i) => {
      await placeAndDeliver(connection, code, [{ sku: `NO-SUCH-SKU-${i + 1}`, price: 100 }]);
      openCodes.push({ code, connection });
    });
    openDeliveredSeconds = round1((Date.now() - t) / 1000);
    say(`${open.length} open orders delivered in ${openDeliveredSeconds} s; waiting until each waits for a person…`);
    const waiting = () => open.filter(({ code }) => stock2shop.order(code).failure_reason !== null).length;
    let lastSaid = Date.now();
    try {
      await waitUntil('every open order to wait for a person', 30 * 60_000, () => {
        const n = waiting();
        if (Date.now() - lastSaid > 30_000) {
          say(`  ${n}/${open.length} open orders wait for a person`);
          lastSaid = Date.now();
        }
        return n === open.length;
      }, 1000);
      openAllWaitingSeconds = round1((Date.now() - t) / 1000);
      say(`all ${open.length} open orders wait for a person, ${openAllWaitingSeconds} s after the first delivery`);
    } catch (error) {
      say(`!! ${(error as Error).message} (${waiting()}/${open.length}); going on`);
    }
    await sleep(15_000);
    const taken = sampler.sampleNow();
    rssWithOpenOrders = Object.fromEntries(Object.entries(taken).map(([name, s]) => [name, mib(s.rss)]));
    say(`RSS with ${open.length} open orders waiting: ${Object.entries(rssWithOpenOrders).map(([n, v]) => `${n} ${v} MiB`).join(', ')}`);
  }

  // ---------------------------------------------------------------- 4. the timed window
  const windowMs = options.minutes * 60_000;
  const total = Math.floor((windowMs / 1000) * options.orderRate);
  const timed: { code: string; connection: Connection; deliveredAt?: number; error?: string }[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let maxSlipMs = 0;
  let maxInFlight = 0;
  const windowStart = Date.now();
  const machineAtWindowStart = machineCpuSeconds();
  const loadAtWindowStart = loadAverage();
  say(`timed window: ${options.minutes} min, ${options.orderRate} order/s (${total} orders over ${connections.length} connections)`);
  let ratioLoaded: RatioResult | undefined;
  let ratioLoadedRun: Promise<void> | undefined;
  let progressAt = windowStart;
  for (let i = 0; i < total; i += 1) {
    const due = windowStart + (i * 1000) / options.orderRate;
    await sleep(due - Date.now());
    maxSlipMs = Math.max(maxSlipMs, Date.now() - due);
    const connection = connections[i % connections.length]!;
    const skus = skusOf(connection);
    const lines = [skus[(i * 7) % skus.length]!, skus[(i * 13 + 5) % skus.length]!];
    const entry: (typeof timed)[number] = { code: `S-${String(i + 1).padStart(6, '0')}`, connection };
    timed.push(entry);
    const p = placeAndDeliver(connection, entry.code, lines, true)
      .then((at) => void (entry.deliveredAt = at))
      .catch((error: Error) => void (entry.error = error.message))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
    if (!ratioLoadedRun && Date.now() - windowStart >= windowMs / 2) {
      // Halfway: engine/raw again, under the load (an Omni connection: its pages go through the agents).
      ratioLoadedRun = ratio(omniConnections[1] ?? omniConnections[0]!, Math.max(3, Math.ceil(options.ratioRepeats / 2))).then(
        (r) => {
          ratioLoaded = r;
          say(`engine/raw under load, ${describeRatio(r)}`);
        },
        (error: Error) => say(`!! engine/raw under load failed: ${error.message}`),
      );
    }
    if (Date.now() - progressAt >= 60_000) {
      progressAt = Date.now();
      const raised = timed.filter((o) => stock2shop.order(o.code).source_order_code !== null).length;
      const s = sampler.latest('central');
      say(`  ${i + 1}/${total} delivered, ${raised} raised; central RSS ${s ? mib(s.rss) : '?'} MiB`);
    }
  }
  await sleep(windowStart + windowMs - Date.now());
  const windowEnd = Date.now();
  const machineAtWindowEnd = machineCpuSeconds();
  const loadAtWindowEnd = loadAverage();
  await Promise.all([...inFlight]);
  if (ratioLoadedRun) await ratioLoadedRun;
  say(`timed window over: ${timed.length} orders delivered (${timed.filter((o) => o.error).length} delivery errors), max delivery slip ${fmtMs(maxSlipMs)}`);

  // ---------------------------------------------------------------- 5. drain and figures
  const isRaised = (code: string) => stock2shop.order(code).source_order_code !== null;
  let drainMs: number | null = null;
  try {
    drainMs = await waitUntil(`the last orders (drain of ${options.drainSeconds} s)`, options.drainSeconds * 1000, () =>
      timed.every((o) => o.error !== undefined || isRaised(o.code) || stock2shop.order(o.code).failure_reason !== null),
    );
    say(`drained in ${(drainMs / 1000).toFixed(1)} s`);
  } catch (error) {
    say(`!! ${(error as Error).message}`);
  }

  // Orders by final state, and delivery → raised (the source order code written back to Stock2Shop).
  const byState: Record<string, number> = {};
  const toRaisedMs: number[] = [];
  await mapLimit(timed, 16, async (o) => {
    let state: string;
    const held = stock2shop.order(o.code);
    if (o.error !== undefined) state = 'delivery_error';
    else if (held.source_order_code !== null) {
      state = 'raised';
      const writeBack = held.write_backs.find((w) => w.kind === 'source_order_code');
      if (writeBack && o.deliveredAt !== undefined) toRaisedMs.push(Date.parse(writeBack.at) - o.deliveredAt);
    } else {
      try {
        const status: OrderStatus = await client.workflow.getHandle(raiseOrderWorkflowId(o.connection.id, o.code)).query(statusQuery);
        state = status.state === 'raising' && status.waitingForSource ? 'waiting_for_source' : status.state;
      } catch (error) {
        state = error instanceof WorkflowNotFoundError ? 'not_started' : `unknown (${(error as Error).name})`;
      }
    }
    byState[state] = (byState[state] ?? 0) + 1;
  });
  const toRaised = stats(toRaisedMs);
  say(`orders of the window by final state: ${JSON.stringify(byState)}; delivery→raised ${fmtStats(toRaised)}`);
  const openStillWaiting = openCodes.filter(({ code }) => stock2shop.order(code).failure_reason !== null && !isRaised(code)).length;

  // Schedule lag: every run a schedule started (TemporalScheduledStartTime set), its start minus its scheduled time.
  const analysisAt = Date.now();
  say('reading the scheduled runs…');
  interface ScheduledRun {
    type: string;
    workflowId: string;
    runId: string;
    scheduledAt: number;
    startedAt: number;
    closedAt?: number;
    status: string;
  }
  const scheduledRuns: ScheduledRun[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowType = 'productSync' OR WorkflowType = 'pollOrders'` })) {
    const raw = (info.searchAttributes as Record<string, unknown[] | undefined>).TemporalScheduledStartTime?.[0];
    if (raw === undefined) continue; // a manual pass (the engine/raw measurement)
    scheduledRuns.push({
      type: info.type,
      workflowId: info.workflowId,
      runId: info.runId,
      scheduledAt: new Date(raw as string | Date).getTime(),
      startedAt: info.startTime.getTime(),
      ...(info.closeTime ? { closedAt: info.closeTime.getTime() } : {}),
      status: info.status.name,
    });
  }
  // Continue-as-new runs carry the first run's attributes: keep the first run of each workflow id.
  const firstRuns = new Map<string, ScheduledRun>();
  for (const run of scheduledRuns) {
    const seen = firstRuns.get(run.workflowId);
    if (!seen || run.startedAt < seen.startedAt) firstRuns.set(run.workflowId, run);
  }
  const runs = [...firstRuns.values()];
  // The first workflow task's start: when a worker actually began the run.
  const WFT_STARTED = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
  const firstTaskLag = new Map<ScheduledRun, number>();
  await mapLimit(runs, 8, async (run) => {
    try {
      const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const event = history.events?.find((e) => e.eventType === WFT_STARTED);
      const seconds = event?.eventTime?.seconds;
      if (event && seconds !== undefined && seconds !== null) {
        const at = Number(seconds) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
        firstTaskLag.set(run, at - run.scheduledAt);
      }
    } catch {
      // gone or unreadable: counted as missing below
    }
  });
  // The schedules' own counts (actions taken, skipped because the previous run still ran, missed), their
  // spec (every, offset), and the ticks due between their creation and now: epoch + n × every + offset.
  let skippedOverlap = 0;
  let missedCatchup = 0;
  let actionsTaken = 0;
  let ticksDue = 0;
  const specs = new Map<string, { every: number; offset: number; createdAt: number }>();
  const toMs = (d: unknown) => (typeof d === 'number' ? d : typeof d === 'string' ? Number.parseFloat(d) * 1000 : 0);
  await mapLimit(connections, 8, async (c) => {
    for (const id of [productSyncScheduleId(c.id), orderPollScheduleId(c.id)]) {
      const d = await client.schedule.getHandle(id).describe();
      skippedOverlap += d.info.numActionsSkippedOverlap;
      missedCatchup += d.info.numActionsMissedCatchupWindow;
      actionsTaken += d.info.numActionsTaken;
      const interval = d.spec.intervals?.[0];
      const every = toMs(interval?.every);
      const offset = toMs(interval?.offset ?? 0);
      if (every > 0) specs.set(id, { every, offset, createdAt: d.info.createdAt.getTime() });
    }
  });
  // A run the schedule started on a tick of its spec, or one started by the bench's trigger (the first sync).
  const scheduleIdOf = (run: ScheduledRun) => run.workflowId.replace(/-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '');
  const isTick = (run: ScheduledRun) => {
    const spec = specs.get(scheduleIdOf(run));
    if (!spec) return false;
    const phase = (((run.scheduledAt - spec.offset) % spec.every) + spec.every) % spec.every;
    return phase < 500 || spec.every - phase < 500;
  };
  const ticksRun = runs.filter((r) => isTick(r) && r.scheduledAt <= analysisAt);
  // Every tick due between a schedule's creation and the analysis (5 s of grace) must have a run.
  const ticksBySchedule = new Map<string, number[]>();
  for (const run of ticksRun) {
    const id = scheduleIdOf(run);
    (ticksBySchedule.get(id) ?? ticksBySchedule.set(id, []).get(id)!).push(run.scheduledAt);
  }
  const missingTicks: string[] = [];
  for (const [id, { every, offset, createdAt }] of specs) {
    const seen = ticksBySchedule.get(id) ?? [];
    for (let k = Math.ceil((createdAt - offset) / every); k * every + offset <= analysisAt; k += 1) {
      const tick = k * every + offset;
      ticksDue += 1;
      // A tick of the last seconds may not be visible in the list yet: only older ones count as missing.
      if (tick <= analysisAt - 5000 && !seen.some((at) => Math.abs(at - tick) < 500)) missingTicks.push(`${id} @ ${new Date(tick).toISOString()}`);
    }
  }
  const triggeredRuns = runs.filter((r) => !isTick(r));
  // Startup: the triggered first syncs and the open-order burst; steady: the timed window and after.
  const startupTicks = ticksRun.filter((r) => r.scheduledAt < windowStart);
  const steadyTicks = ticksRun.filter((r) => r.scheduledAt >= windowStart);

  const lagOf = (list: ScheduledRun[]) => {
    const start = list.map((r) => r.startedAt - r.scheduledAt);
    const task = list.map((r) => firstTaskLag.get(r)).filter((v): v is number => v !== undefined);
    return {
      runs: list.length,
      startLag: { ...stats(start), over30s: start.filter((v) => v > 30_000).length },
      firstTaskLag: { ...stats(task), over30s: task.filter((v) => v > 30_000).length, noTaskYet: list.length - task.length },
    };
  };
  const byKind = (list: ScheduledRun[]) => ({
    all: lagOf(list),
    productSyncOmni: lagOf(list.filter((r) => r.type === 'productSync' && r.workflowId.startsWith('product-sync/omni-'))),
    productSyncISync: lagOf(list.filter((r) => r.type === 'productSync' && r.workflowId.startsWith('product-sync/isync-'))),
    pollOrders: lagOf(list.filter((r) => r.type === 'pollOrders')),
  });
  const latest = (list: ScheduledRun[]) =>
    [...list]
      .sort((a, b) => (firstTaskLag.get(b) ?? Infinity) - (firstTaskLag.get(a) ?? Infinity))
      .slice(0, 5)
      .map((r) => ({ workflowId: r.workflowId, startLagMs: r.startedAt - r.scheduledAt, firstTaskLagMs: firstTaskLag.get(r) ?? null }));
  const passDuration = (list: ScheduledRun[]) =>
    stats(list.filter((r) => r.type === 'productSync' && r.closedAt !== undefined).map((r) => r.closedAt! - r.startedAt));
  const lag = {
    steady: byKind(steadyTicks),
    startup: byKind(startupTicks),
    triggers: lagOf(triggeredRuns),
  };
  const productSyncStatus = runs
    .filter((r) => r.type === 'productSync')
    .reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
  const passDurations = { steady: passDuration(steadyTicks), startup: passDuration([...startupTicks, ...triggeredRuns]) };
  const latestFirstTasks = { steady: latest(steadyTicks), startup: latest([...startupTicks, ...triggeredRuns]) };
  say(
    `scheduled runs: ${runs.length} started: ${ticksRun.length} on their schedule's ticks (${ticksDue} due, ${missingTicks.length} without a run${missingTicks.length ? `: ${missingTicks.slice(0, 5).join(', ')}` : ''}), ${triggeredRuns.length} triggered; ` +
      `schedules report ${actionsTaken} taken, ${skippedOverlap} skipped for overlap, ${missedCatchup} missed`,
  );
  for (const [phase, kinds] of [['steady', lag.steady], ['startup', lag.startup]] as const) {
    for (const [name, v] of Object.entries(kinds)) {
      say(`  ${phase.padEnd(7)} ${name.padEnd(16)} start lag ${fmtStats(v.startLag)}, >30 s: ${v.startLag.over30s}; first task ${fmtStats(v.firstTaskLag)}, >30 s: ${v.firstTaskLag.over30s}`);
    }
  }
  say(`  triggers                 start lag ${fmtStats(lag.triggers.startLag)}; first task ${fmtStats(lag.triggers.firstTaskLag)}`);
  say(`  product passes: ${JSON.stringify(productSyncStatus)}; duration steady ${fmtStats(passDurations.steady)}, startup ${fmtStats(passDurations.startup)}`);
  say(`  latest first tasks, steady: ${latestFirstTasks.steady.map((w) => `${w.workflowId} ${fmtMs(w.firstTaskLagMs)}`).join('; ')}`);
  say(`  latest first tasks, startup: ${latestFirstTasks.startup.map((w) => `${w.workflowId} ${fmtMs(w.firstTaskLagMs)}`).join('; ')}`);

  // Database size (a Postgres product-state store, when the workers were given one).
  let databaseBytes: number | null = null;
  if (process.env.DATABASE_URL) {
    try {
      const pg = await import('pg');
      const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await db.connect();
      const result = await db.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size');
      await db.end();
      databaseBytes = Number(result.rows[0]?.size);
      say(`database size ${mib(databaseBytes)} MiB`);
    } catch (error) {
      say(`!! could not read the database size: ${(error as Error).message}`);
    }
  }

  // Processes: peak and final RSS over the run, CPU over the timed window and over the whole run.
  const final = sampler.sampleNow();
  sampler.stop();
  const processes: Record<string, { peakRssMiB: number; finalRssMiB: number; windowCpuPercent: number | null; runCpuPercent: number | null }> = {};
  for (const name of sampler.names()) {
    processes[name] = {
      peakRssMiB: mib(sampler.peakRss(name)),
      finalRssMiB: mib(final[name]?.rss ?? sampler.latest(name)?.rss ?? 0),
      windowCpuPercent: round1(sampler.cpuPercent(name, windowStart, windowEnd + 5000)),
      runCpuPercent: round1(sampler.cpuPercent(name)),
    };
  }
  const temporalDbBytes = (() => {
    try {
      return ['', '-wal', '-shm'].reduce((sum, suffix) => {
        try {
          return sum + readFileSync(join(dir, `temporal.sqlite${suffix}`)).length;
        } catch {
          return sum;
        }
      }, 0);
    } catch {
      return 0;
    }
  })();

  say('stopping…');
  await stack.stop();

  const result: ScaleResult & Record<string, unknown> = {
    bench: 'scale',
    date: startedAt.toISOString(),
    machine,
    commit,
    command,
    options,
    sizing: { ...sizing, agentActivitySlots: options.agentSlots },
    connections: { total: connections.length, omni: omniConnections.length, isync: isyncConnections.length, itemsPerCatalog: options.items },
    configReadMs: round1(configRead.median),
    startup: { centralReadySeconds: round1(centralReadyMs / 1000), agentsReadySeconds: round1(agentsReadyMs / 1000), applySchedulesSeconds: round1(applyMs / 1000), firstSyncsEndedSeconds: firstSyncsSeconds },
    ratio: { idle: ratioIdle, underLoad: ratioLoaded ?? null },
    openOrders: { count: openCodes.length, rssMiBBefore: rssBeforeOpenOrders, deliveredSeconds: openDeliveredSeconds, allWaitingSeconds: openAllWaitingSeconds, stillWaitingAtEnd: openStillWaiting, rssMiBWhileAllWaiting: rssWithOpenOrders },
    orders: {
      delivered: timed.filter((o) => o.deliveredAt !== undefined).length,
      byFinalState: byState,
      deliveryToRaised: toRaised,
      deliveryCall: roundStats(stats(deliveryCallMs)),
      maxDeliverySlipMs: Math.round(maxSlipMs),
      maxInFlightDeliveries: maxInFlight,
      drainSeconds: drainMs === null ? null : round1(drainMs / 1000),
    },
    schedules: {
      runsStarted: runs.length,
      onTicks: ticksRun.length,
      triggered: triggeredRuns.length,
      ticksDue,
      ticksWithoutRun: missingTicks.length,
      actionsTaken,
      skippedOverlap,
      missedCatchup,
      lag,
      productSyncStatus,
      passDurations,
      latestFirstTasks,
    },
    processes,
    machineDuringWindow: {
      cpuBusyPercentOfAllCores: round1(
        ((machineAtWindowEnd.busy - machineAtWindowStart.busy) / Math.max(1e-9, machineAtWindowEnd.total - machineAtWindowStart.total)) * 100,
      ),
      // What the processes of this bench did not account for: other programs on the machine.
      othersCpuPercentOfOneCore: round1(
        ((machineAtWindowEnd.busy - machineAtWindowStart.busy) / ((windowEnd - windowStart) / 1000)) * 100 -
          Object.values(processes).reduce((sum, p) => sum + (p.windowCpuPercent ?? 0), 0),
      ),
      loadAverageAtStart: loadAtWindowStart,
      loadAverageAtEnd: loadAtWindowEnd,
    },
    temporalSqliteMiB: mib(temporalDbBytes),
    databaseMiB: databaseBytes === null ? null : mib(databaseBytes),
  };
  printReport(result);
  process.stdout.write(`BENCH_SCALE_JSON ${JSON.stringify(result)}\n`);
}

type LagOf = { runs: number; startLag: Stats & { over30s: number }; firstTaskLag: Stats & { over30s: number; noTaskYet: number } };
interface RatioLine {
  connectionId: string;
  rawMedianMs: number;
  engineMedianMs: number;
  engineOverRaw: number;
}
interface ScaleResult {
  date: string;
  machine: ReturnType<typeof machineInfo>;
  commit: string;
  command: string;
  sizing: Record<string, number>;
  connections: { total: number; omni: number; isync: number; itemsPerCatalog: number };
  configReadMs: number | null;
  startup: { centralReadySeconds: number | null; agentsReadySeconds: number | null; applySchedulesSeconds: number | null; firstSyncsEndedSeconds: number | null };
  ratio: { idle: RatioLine[]; underLoad: RatioLine | null };
  openOrders: { count: number; rssMiBBefore: Record<string, number>; deliveredSeconds: number | null; allWaitingSeconds: number | null; stillWaitingAtEnd: number; rssMiBWhileAllWaiting: Record<string, number> };
  orders: { delivered: number; byFinalState: Record<string, number>; deliveryToRaised: Stats; deliveryCall: Stats; maxDeliverySlipMs: number; maxInFlightDeliveries: number; drainSeconds: number | null };
  schedules: {
    runsStarted: number;
    onTicks: number;
    triggered: number;
    ticksDue: number;
    ticksWithoutRun: number;
    actionsTaken: number;
    skippedOverlap: number;
    missedCatchup: number;
    lag: { steady: Record<string, LagOf>; startup: Record<string, LagOf>; triggers: LagOf };
    productSyncStatus: Record<string, number>;
    passDurations: { steady: Stats; startup: Stats };
    latestFirstTasks: Record<string, { workflowId: string; startLagMs: number; firstTaskLagMs: number | null }[]>;
  };
  processes: Record<string, { peakRssMiB: number; finalRssMiB: number; windowCpuPercent: number | null; runCpuPercent: number | null }>;
  machineDuringWindow: { cpuBusyPercentOfAllCores: number | null; othersCpuPercentOfOneCore: number | null; loadAverageAtStart: string; loadAverageAtEnd: string };
  temporalSqliteMiB: number;
  databaseMiB: number | null;
}

function printReport(x: ScaleResult): void {
  const lagLine = (label: string, l: LagOf) =>
    `  ${label.padEnd(26)} runs ${String(l.runs).padStart(5)}  start: median ${fmtMs(l.startLag.median)} p95 ${fmtMs(l.startLag.p95)} max ${fmtMs(l.startLag.max)} >30s ${l.startLag.over30s}` +
    `  | first task: median ${fmtMs(l.firstTaskLag.median)} p95 ${fmtMs(l.firstTaskLag.p95)} max ${fmtMs(l.firstTaskLag.max)} >30s ${l.firstTaskLag.over30s}` +
    (l.firstTaskLag.noTaskYet ? ` (${l.firstTaskLag.noTaskYet} without a task yet)` : '');
  const lines = [
    '',
    '=== Scale (bench/scale.ts) ===',
    `date      ${x.date}`,
    `machine   ${x.machine.cpuModel}, ${x.machine.cores} cores, ${x.machine.memoryGiB} GiB RAM, node ${x.machine.node}, Linux ${x.machine.kernel}`,
    `commit    ${x.commit}`,
    `command   ${x.command}`,
    `setup     ${x.connections.total} connections (${x.connections.omni} Omni every 3 min, ${x.connections.isync} iSync hourly), ${x.connections.itemsPerCatalog} items per catalog; sizing ${JSON.stringify(x.sizing)}`,
    `startup   central ready ${x.startup.centralReadySeconds} s, agents ${x.startup.agentsReadySeconds} s, schedules applied in ${x.startup.applySchedulesSeconds} s, first syncs of all ended after ${x.startup.firstSyncsEndedSeconds} s; one read of the connections file ${x.configReadMs} ms`,
    '',
    'schedule lag (start = server started the run − scheduled time; first task = a worker started its first workflow task − scheduled time)',
  ];
  for (const [name, l] of Object.entries(x.schedules.lag.steady)) lines.push(lagLine(`steady  ${name}`, l));
  for (const [name, l] of Object.entries(x.schedules.lag.startup)) lines.push(lagLine(`startup ${name}`, l));
  lines.push(lagLine('triggered first syncs', x.schedules.lag.triggers));
  lines.push(
    `  ${x.schedules.onTicks} runs on ticks (${x.schedules.ticksDue} due, ${x.schedules.ticksWithoutRun} without a run), ${x.schedules.triggered} triggered; skipped for overlap ${x.schedules.skippedOverlap}, missed ${x.schedules.missedCatchup}; ` +
      `product passes ${JSON.stringify(x.schedules.productSyncStatus)}, duration steady median ${fmtMs(x.schedules.passDurations.steady.median)} p95 ${fmtMs(x.schedules.passDurations.steady.p95)} max ${fmtMs(x.schedules.passDurations.steady.max)}`,
  );
  lines.push('', `orders    ${x.orders.delivered} delivered in the window; final states ${JSON.stringify(x.orders.byFinalState)}`);
  lines.push(
    `          delivery→raised median ${fmtMs(x.orders.deliveryToRaised.median)} p95 ${fmtMs(x.orders.deliveryToRaised.p95)} max ${fmtMs(x.orders.deliveryToRaised.max)}; ` +
      `delivery call median ${fmtMs(x.orders.deliveryCall.median)} p95 ${fmtMs(x.orders.deliveryCall.p95)}; max slip ${fmtMs(x.orders.maxDeliverySlipMs)}`,
  );
  lines.push(
    `open      ${x.openOrders.count} orders waiting for a person (delivered in ${x.openOrders.deliveredSeconds ?? '-'} s, all waiting after ${x.openOrders.allWaitingSeconds ?? '-'} s; ` +
      `${x.openOrders.stillWaitingAtEnd} still waiting at the end)`,
    `          RSS before them: ${Object.entries(x.openOrders.rssMiBBefore).map(([n, v]) => `${n} ${v} MiB`).join(', ')}`,
    `          RSS once all wait: ${Object.entries(x.openOrders.rssMiBWhileAllWaiting).map(([n, v]) => `${n} ${v} MiB`).join(', ')}`,
  );
  lines.push('', 'process        peak RSS   final RSS   CPU window   CPU run   (CPU as % of one core)');
  for (const [name, p] of Object.entries(x.processes)) {
    lines.push(`  ${name.padEnd(12)} ${String(p.peakRssMiB).padStart(5)} MiB  ${String(p.finalRssMiB).padStart(5)} MiB  ${String(p.windowCpuPercent ?? '-').padStart(8)} %  ${String(p.runCpuPercent ?? '-').padStart(6)} %`);
  }
  const m = x.machineDuringWindow;
  lines.push(`  machine during the window: ${m.cpuBusyPercentOfAllCores} % of all cores busy; other programs ${m.othersCpuPercentOfOneCore} % of one core; load ${m.loadAverageAtStart} → ${m.loadAverageAtEnd}`);
  lines.push(`  Temporal SQLite file ${x.temporalSqliteMiB} MiB${x.databaseMiB === null ? '' : `; database (DATABASE_URL) ${x.databaseMiB} MiB`}`);
  lines.push('', 'engine/raw (one full product pass: connector + mapping + push, vs productSync through Temporal)');
  for (const q of x.ratio.idle) lines.push(`  idle        ${q.connectionId}: raw ${fmtMs(q.rawMedianMs)}, engine ${fmtMs(q.engineMedianMs)}, engine/raw ${q.engineOverRaw}`);
  if (x.ratio.underLoad) {
    const q = x.ratio.underLoad;
    lines.push(`  under load  ${q.connectionId}: raw ${fmtMs(q.rawMedianMs)}, engine ${fmtMs(q.engineMedianMs)}, engine/raw ${q.engineOverRaw}`);
  }
  lines.push('');
  process.stdout.write(lines.join('\n') + '\n');
}

runBench('scale', main);
