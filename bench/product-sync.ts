/**
 * Product sync against the raw pipeline, on this machine: full passes of 10k and 100k products from
 * Omni Accounts and iSync, and incremental passes with 1 % of the catalog changed.
 *
 *   node --import tsx bench/product-sync.ts [--quick] [--keep]      (npm run bench:products)
 *
 * Three ways through the same catalog, in the same run:
 *   - raw-inline: connector + mapping + hash + push, with an in-memory map; no guard, no Temporal;
 *   - raw: the engine's own page code (activities/product-pages.ts) with the connection's guard
 *     (its request limits) and the file store the workers use, page after page in a plain loop;
 *   - Temporal: the `productSync` workflow on the dev server as `npm start` runs it, the central worker
 *     and an Omni agent (heap-capped, as deployed) as their own processes; then the same on an
 *     untuned dev server (Temporal passes only: raw does not touch the server).
 * Each figure is repeated 3 times (min / median / max). The fixed cost of a pass, per kind: Temporal −
 * raw on a catalog of one page (400 records), 5 paired passes, full and incremental; the goal rows give
 * it as a share of each pass. The connections keep their default request
 * limits (4 at once, 20 a second); iSync lists 500 records a page (its maximum), Omni 1,000.
 * `--quick` uses 1k and 10k catalogs. The last line is the result as JSON (`BENCH_PRODUCTS_JSON {…}`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { CENTRAL_TASK_QUEUE, manualProductSyncWorkflowId, type Connection } from '../domain';
import { createSourceConnector, TransientError, type ProductPage } from '../connectors';
import { syncOneProductPage } from '../activities/product-pages';
import { FileProductStateStore } from '../store/file-store';
import { type ProductStateStore } from '../store/product-state';
import { SourceGuard } from '../activities/source-guard';
import { requestLimitsOfThisProcess } from '../activities';
import type { ProductSyncSummary } from '../contracts/workflows';
import type { SyncProductPageResult } from '../contracts/activities';
import { MemoryStore, runBench, say, sleep, startBenchStack, type BenchConnectionSpec, type BenchSimulatorSpec, type BenchStack } from './harness';
import { historyFigures, type HistoryFigures } from './history';
import { formatSpread, markdownTable, spreadOf, verdict, type BenchReport, type GoalRow, type Spread } from './report';
import { mib } from './proc';
import { AGENT_HEAP_LIMIT_MB } from '../worker/sizing';

export interface ProductSyncBenchOptions {
  quick?: boolean;
  keep?: boolean;
  repeats?: number;
}

type Way = 'rawInline' | 'raw' | 'temporal';
interface PassFigures {
  connectionId: string;
  kind: string;
  items: number;
  /** Seconds per pass, each way. */
  seconds: Record<Way, Spread>;
  temporalOverRaw: Spread;
  temporalOverRawInline: Spread;
  /** Incremental only: records changed before each pass, and what each way pushed. */
  changed?: number[];
  pushed?: Record<Way, number[]>;
}

const MAX_TEMPORAL_OVER_RAW = 1.25;

/**
 * A catalog of one page for either kind (Omni lists 1,000 records a page, iSync 500): the pass on it is
 * the fixed cost of a pass plus one page, and raw does that one page.
 */
const ONE_PAGE_ITEMS = 400;
/** Paired passes (raw, then Temporal) on the one-page catalog, each of full and incremental. */
const FIXED_COST_REPEATS = 5;

/** The bench connections: one per kind and size, each with its own simulator. */
function specsFor(sizes: number[]): { simulators: BenchSimulatorSpec[]; connections: BenchConnectionSpec[] } {
  const simulators: BenchSimulatorSpec[] = [];
  const connections: BenchConnectionSpec[] = [];
  let sourceId = 2001;
  for (const kind of ['omni', 'isync'] as const) {
    for (const items of sizes) {
      const name = `${kind}-${items / 1000}k`;
      simulators.push({ name, kind, items });
      connections.push({ id: name, kind, simulator: name, sourceId: sourceId++, pageSize: kind === 'omni' ? 1000 : 500, extra: { syncIntervalMinutes: 1440 } });
    }
  }
  return { simulators, connections };
}

/**
 * The raw loop gets what a page's activity gets from its retry policy: a transient failure (a
 * keep-alive socket the simulator closed at the moment it was reused, say) is tried again after a
 * second, and its time counts, instead of ending the benchmark.
 */
async function retriedLikeAnActivity<T>(what: string, call: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof TransientError) || attempt >= attempts) throw error;
      say(`raw ${what}: attempt ${attempt} failed (${error.message}); trying again in 1 s, as the activity would`);
      await sleep(1000);
    }
  }
}

/** One pass, outside Temporal: page after page through `syncOneProductPage`, then the pass's end in the store. */
async function plainLoopPass(connection: Connection, listPage: (cursor: string | null) => Promise<ProductPage>, stack: BenchStack, store: ProductStateStore, full: boolean) {
  const passId = randomUUID();
  const stock2shop = stack.stock2shopFor(connection);
  let cursor: string | null = null;
  let pushed = 0;
  const started = performance.now();
  do {
    const from: string | null = cursor;
    const page: SyncProductPageResult = await retriedLikeAnActivity(`${connection.id} page ${from ?? 'first'}`, () =>
      syncOneProductPage(
        { connectionId: connection.id, cursor: from, full, passId },
        { connection, listPage: () => listPage(from), stock2shop, store, heartbeat: () => undefined },
      ),
    );
    pushed += page.pushed;
    cursor = page.nextCursor;
  } while (cursor !== null);
  await store.unseenInPass(connection.id, passId);
  await store.endPass(connection.id, passId);
  return { seconds: (performance.now() - started) / 1000, pushed };
}

/** The three ways through one connection's catalog, each with its own state (so each sees the same changes). */
function waysThrough(stack: BenchStack, connection: Connection) {
  const source = createSourceConnector(connection, stack.secretsOf(connection));
  const guard = new SourceGuard(`bench raw ${connection.id}`, connection.sourceKind, () => source.ping(), requestLimitsOfThisProcess(connection, 1));
  const rawDir = join(stack.dir, 'raw-store');
  mkdirSync(rawDir, { recursive: true });
  const rawStore = new FileProductStateStore(rawDir);
  const inlineStore = new MemoryStore();
  let lastTemporal: ProductSyncSummary | undefined;
  return {
    rawInline: (full: boolean) => plainLoopPass(connection, (cursor) => source.listProducts(cursor, connection.pageSize), stack, inlineStore, full),
    raw: (full: boolean) => plainLoopPass(connection, (cursor) => guard.request(() => source.listProducts(cursor, connection.pageSize)), stack, rawStore, full),
    async temporal(full: boolean) {
      const started = performance.now();
      const summary: ProductSyncSummary = await stack.client.workflow.execute('productSync', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: manualProductSyncWorkflowId(connection.id),
        args: [{ connectionId: connection.id, full }],
      });
      if (summary.skippedFor) throw new Error(`the pass of ${connection.id} was skipped for ${summary.skippedFor}`);
      lastTemporal = summary;
      return { seconds: (performance.now() - started) / 1000, pushed: summary.pushed };
    },
    lastTemporal: () => lastTemporal,
  };
}

/** Changes the stock level of `count` active records not changed before (`offset` moves on each call). */
function changeCatalog(stack: BenchStack, connection: Connection, count: number, round: number): number {
  const simulator = stack.simulatorOf(connection);
  let changed = 0;
  if (simulator.kind === 'omni') {
    const active = simulator.sim.catalog().filter((item) => String(item.EXTRADTLS8 ?? '').trim().toLowerCase() === 'active');
    for (const item of active.slice(round * count, (round + 1) * count)) {
      simulator.sim.updateItem(item.STOCKCODE, { OAvailable: Number(item.OAvailable ?? 0) + 1000 });
      changed += 1;
    }
  } else {
    const active = simulator.sim.catalog().filter((item) => String(item.WebSale ?? '').trim().toLowerCase() === 'active');
    for (const item of active.slice(round * count, (round + 1) * count)) {
      simulator.sim.updateItem(item.SKU, { AvailableUnits: Number(item.AvailableUnits ?? 0) + 1000 });
      changed += 1;
    }
  }
  return changed;
}

const ratioSpread = (numerator: number[], denominator: number[]) => spreadOf(numerator.map((n, i) => n / denominator[i]!));

/** The one-page catalogs, a connection of each kind with its own simulator. */
function onePageSpecs(firstSourceId: number): { simulators: BenchSimulatorSpec[]; connections: BenchConnectionSpec[] } {
  const kinds = ['omni', 'isync'] as const;
  return {
    simulators: kinds.map((kind) => ({ name: `${kind}-one-page`, kind, items: ONE_PAGE_ITEMS })),
    connections: kinds.map((kind, i) => ({
      id: `${kind}-one-page`,
      kind,
      simulator: `${kind}-one-page`,
      sourceId: firstSourceId + i,
      pageSize: kind === 'omni' ? 1000 : 500,
      extra: { syncIntervalMinutes: 1440 },
    })),
  };
}

/**
 * The fixed cost of a pass, per kind: Temporal − raw on a catalog of one page, paired pass by pass
 * (raw, then Temporal), full and incremental (1 % changed). Raw does the page's work and nothing else;
 * what Temporal adds is what a pass pays whatever its size (the workflow's start, its tasks, the pass
 * claim and profile read, the end of the pass, the result to the caller) plus one page's dispatch.
 */
interface FixedCost {
  kind: string;
  connectionId: string;
  items: number;
  /** Pages the Temporal pass read (1 when the catalog is one page). */
  pages: number;
  /** ms. */
  full: Spread;
  incremental: Spread;
  fullPasses: PassFigures;
  incrementalPasses: PassFigures;
}

const pairedMs = (f: PassFigures) => spreadOf(f.seconds.temporal.values.map((t, i) => (t - f.seconds.raw.values[i]!) * 1000));

async function measure(
  connection: Connection,
  items: number,
  ways: ReturnType<typeof waysThrough>,
  repeats: number,
  which: Way[],
  before: (round: number) => number | undefined,
  full: boolean,
): Promise<PassFigures> {
  const seconds: Record<Way, number[]> = { rawInline: [], raw: [], temporal: [] };
  const pushed: Record<Way, number[]> = { rawInline: [], raw: [], temporal: [] };
  const changed: number[] = [];
  for (let round = 0; round < repeats; round += 1) {
    const count = before(round);
    if (count !== undefined) changed.push(count);
    for (const way of which) {
      const pass = await ways[way](full);
      seconds[way].push(pass.seconds);
      pushed[way].push(pass.pushed);
    }
    say(
      `${connection.id} ${full ? 'full' : 'incremental'} #${round + 1}: ${which.map((w) => `${w} ${seconds[w].at(-1)!.toFixed(2)} s (${pushed[w].at(-1)} pushed)`).join(', ')}`,
    );
  }
  const spread = (way: Way) => (seconds[way].length > 0 ? spreadOf(seconds[way]) : spreadOf([NaN]));
  return {
    connectionId: connection.id,
    kind: connection.sourceKind,
    items,
    seconds: { rawInline: spread('rawInline'), raw: spread('raw'), temporal: spread('temporal') },
    temporalOverRaw: ratioSpread(seconds.temporal, seconds.raw),
    temporalOverRawInline: which.includes('rawInline') ? ratioSpread(seconds.temporal, seconds.rawInline) : spreadOf([NaN]),
    ...(changed.length > 0 ? { changed, pushed } : {}),
  };
}

export async function runProductSyncBenchmarks(options: ProductSyncBenchOptions = {}): Promise<BenchReport> {
  const started = Date.now();
  const repeats = options.repeats ?? 3;
  const sizes = options.quick ? [1_000, 10_000] : [10_000, 100_000];
  const largest = sizes[sizes.length - 1]!;
  const full: PassFigures[] = [];
  const incremental: PassFigures[] = [];
  const untuned: PassFigures[] = [];
  const histories: HistoryFigures[] = [];
  const fixedCosts: FixedCost[] = [];
  let agentPeakRss = 0;

  // ------------------------------------------------------------------ the dev server as npm start runs it
  {
    const { simulators, connections } = specsFor(sizes);
    const onePage = onePageSpecs(2001 + connections.length);
    simulators.push(...onePage.simulators);
    connections.push(...onePage.connections);
    const onePageIds = new Set(onePage.connections.map((c) => c.id));
    // The agent runs as deployed (README): with its heap cap.
    const agents = { execArgv: [`--max-old-space-size=${AGENT_HEAP_LIMIT_MB}`] };
    const stack = await startBenchStack({ label: 'products', keep: options.keep ?? false, simulators, connections, agents, sampleEveryMs: 500 });
    try {
      for (const connection of stack.connections) {
        if (onePageIds.has(connection.id)) continue;
        const items = stack.simulatorOf(connection).sim.catalog().length;
        const ways = waysThrough(stack, connection);
        // Warm-up: connections, JIT, and the state every incremental pass starts from.
        for (const way of ['rawInline', 'raw', 'temporal'] as const) await ways[way](true);
        const windowStart = Date.now();
        full.push(await measure(connection, items, ways, repeats, ['rawInline', 'raw', 'temporal'], () => undefined, true));
        histories.push(await historyFigures(stack.client, manualProductSyncWorkflowId(connection.id)));
        const onePercent = Math.max(1, Math.round(items / 100));
        incremental.push(await measure(connection, items, ways, repeats, ['rawInline', 'raw', 'temporal'], (round) => changeCatalog(stack, connection, onePercent, round), false));
        if (connection.sourceKind === 'omni' && items === largest) {
          stack.sampler.sampleNow();
          agentPeakRss = Math.max(agentPeakRss, stack.sampler.peakRss('agents', windowStart));
        }
      }
      for (const id of onePageIds) fixedCosts.push(await fixedCostOf(stack, stack.connection(id)));
    } finally {
      await stack.stop();
    }
  }

  // ------------------------------------------------------------------ the same on an untuned dev server
  // Only the Temporal passes: raw does not touch the server, so its figures from above stand.
  {
    const { simulators, connections } = specsFor([largest]);
    const stack = await startBenchStack({ label: 'products-untuned', untuned: true, keep: options.keep ?? false, simulators, connections });
    try {
      for (const connection of stack.connections) {
        const items = stack.simulatorOf(connection).sim.catalog().length;
        const ways = waysThrough(stack, connection);
        await ways.temporal(true);
        const figures = await measure(connection, items, ways, repeats, ['temporal'], () => undefined, true);
        const tuned = full.find((f) => f.connectionId === connection.id)!;
        untuned.push({ ...figures, seconds: { ...figures.seconds, raw: tuned.seconds.raw }, temporalOverRaw: ratioSpread(figures.seconds.temporal.values, tuned.seconds.raw.values) });
      }
    } finally {
      await stack.stop();
    }
  }

  return reportOf({ full, incremental, untuned, histories, fixedCosts, agentPeakRss, largest, seconds: (Date.now() - started) / 1000, quick: options.quick ?? false });
}

async function fixedCostOf(stack: BenchStack, connection: Connection): Promise<FixedCost> {
  const items = stack.simulatorOf(connection).sim.catalog().length;
  const ways = waysThrough(stack, connection);
  for (const way of ['raw', 'temporal'] as const) await ways[way](true);
  const fullPasses = await measure(connection, items, ways, FIXED_COST_REPEATS, ['raw', 'temporal'], () => undefined, true);
  const pages = ways.lastTemporal()?.pages ?? 0;
  const onePercent = Math.max(1, Math.round(items / 100));
  const incrementalPasses = await measure(connection, items, ways, FIXED_COST_REPEATS, ['raw', 'temporal'], (round) => changeCatalog(stack, connection, onePercent, round), false);
  const cost: FixedCost = { kind: connection.sourceKind, connectionId: connection.id, items, pages, full: pairedMs(fullPasses), incremental: pairedMs(incrementalPasses), fullPasses, incrementalPasses };
  say(`${connection.id}: fixed cost per pass (Temporal − raw, ${items} records, ${pages} page(s)): full ${formatSpread(cost.full, ' ms', 0)}, incremental ${formatSpread(cost.incremental, ' ms', 0)}`);
  return cost;
}

function reportOf(x: {
  full: PassFigures[];
  incremental: PassFigures[];
  untuned: PassFigures[];
  histories: HistoryFigures[];
  fixedCosts: FixedCost[];
  agentPeakRss: number;
  largest: number;
  seconds: number;
  quick: boolean;
}): BenchReport {
  const s = (spread: Spread) => formatSpread(spread, ' s');
  const r = (spread: Spread) => formatSpread(spread, '×');
  const goals: GoalRow[] = [];
  const label = (f: PassFigures) => `${f.kind === 'omni' ? 'Omni' : 'iSync'} ${f.items / 1000}k`;
  const kindName = (kind: string) => (kind === 'omni' ? 'Omni' : 'iSync');
  /** The pass's fixed cost (its kind's one-page pass), its share of this pass's Temporal time, and the ratio without it. */
  const fixedText = (f: PassFigures, which: 'full' | 'incremental') => {
    const fc = x.fixedCosts.find((c) => c.kind === f.kind);
    if (!fc) return '';
    const ms = fc[which].median;
    const temporalMs = f.seconds.temporal.median * 1000;
    const without = (temporalMs - ms) / (f.seconds.raw.median * 1000);
    return `; fixed cost per pass ${formatSpread(fc[which], ' ms', 0)} (${((ms / temporalMs) * 100).toFixed(0)} % of this pass's Temporal time; without it ${without.toFixed(2)}×)`;
  };

  for (const f of x.full) {
    goals.push({
      benchmark: `full product sync, ${label(f)}`,
      goal: `Temporal ÷ raw ≤ ${MAX_TEMPORAL_OVER_RAW}×`,
      measured: `${r(f.temporalOverRaw)} (Temporal ${s(f.seconds.temporal)}, raw ${s(f.seconds.raw)})${fixedText(f, 'full')}`,
      verdict: verdict(f.temporalOverRaw.median <= MAX_TEMPORAL_OVER_RAW),
    });
  }
  for (const f of x.untuned) {
    goals.push({
      benchmark: `full product sync, ${label(f)}, untuned dev server`,
      goal: 'printed (the design must not depend on tuning)',
      measured: `${r(f.temporalOverRaw)} (Temporal ${s(f.seconds.temporal)}, raw ${s(f.seconds.raw)})`,
      verdict: verdict(f.temporalOverRaw.median <= MAX_TEMPORAL_OVER_RAW),
    });
  }
  for (const f of x.incremental) {
    const pushedEqualsChanged = f.changed!.every((changed, i) => f.pushed!.temporal[i] === changed && f.pushed!.raw[i] === changed);
    goals.push({
      benchmark: `incremental pass, 1 % changed, ${label(f)}`,
      goal: `pushed = changed; Temporal ÷ raw ≤ ${MAX_TEMPORAL_OVER_RAW}×`,
      measured: `pushed ${f.pushed!.temporal.join('/')} of ${f.changed!.join('/')} changed; ${r(f.temporalOverRaw)}; ÷ raw-inline ${r(f.temporalOverRawInline)}${fixedText(f, 'incremental')}`,
      verdict: verdict(pushedEqualsChanged && f.temporalOverRaw.median <= MAX_TEMPORAL_OVER_RAW),
    });
  }
  goals.push({
    benchmark: `memory: agent during the ${x.largest / 1000}k Omni passes`,
    goal: '≤ 300 MB',
    measured: `${Math.round(x.agentPeakRss / 1e6)} MB peak RSS (${mib(x.agentPeakRss)} MiB)`,
    verdict: verdict(x.agentPeakRss <= 300e6),
  });
  const maxEvents = Math.max(...x.histories.map((h) => h.maxEventsPerRun));
  const maxPayload = Math.max(...x.histories.map((h) => h.largestPayloadBytes));
  goals.push({
    benchmark: 'history of a product sync',
    goal: 'events per run ≤ 10k; largest payload < 256 KB',
    measured: `${maxEvents} events in the largest run; largest payload ${(maxPayload / 1024).toFixed(1)} KB`,
    verdict: verdict(maxEvents <= 10_000 && maxPayload < 256 * 1024),
  });

  const row = (f: PassFigures) => [label(f), s(f.seconds.rawInline), s(f.seconds.raw), s(f.seconds.temporal), r(f.temporalOverRaw), r(f.temporalOverRawInline)];
  const header = ['catalog', 'raw-inline', 'raw', 'Temporal', 'Temporal ÷ raw', 'Temporal ÷ raw-inline'];
  const markdown = [
    `Full passes (\`full: true\`, every record pushed), seconds per pass, median (min–max) of ${x.full[0]?.seconds.raw.values.length ?? 0}:`,
    '',
    markdownTable(header, x.full.map(row)),
    '',
    'Incremental passes, 1 % of the catalog changed before each (a new 1 % each time):',
    '',
    markdownTable([...header, 'changed', 'pushed (Temporal / raw / raw-inline)'], x.incremental.map((f) => [...row(f), f.changed!.join(', '), `${f.pushed!.temporal.join(', ')} / ${f.pushed!.raw.join(', ')} / ${f.pushed!.rawInline.join(', ')}`])),
    '',
    'Full passes on an **untuned** dev server (its stock 50 ms dispatch steps and SQLite settings), against the raw passes above:',
    '',
    markdownTable(['catalog', 'raw', 'Temporal', 'Temporal ÷ raw'], x.untuned.map((f) => [label(f), s(f.seconds.raw), s(f.seconds.temporal), r(f.temporalOverRaw)])),
    '',
    `**Fixed cost per pass**: Temporal − raw on a catalog of one page (${ONE_PAGE_ITEMS} records: one page for Omni, which lists 1,000 a page, and for iSync, 500), ` +
      `${FIXED_COST_REPEATS} passes each way, paired (raw, then Temporal, on the same catalog state), median (min–max) of the differences; ` +
      "raw does that page's work and nothing else, so the difference is what a pass pays whatever its size (the workflow's start and tasks, the pass claim and the connection profile, " +
      "the end of the pass, the result to the caller) plus one page's dispatch as an activity. The goal rows above give it as a share of each pass and the ratio without it.",
    '',
    markdownTable(
      ['kind', 'catalog (pages read by the Temporal pass)', 'full: raw', 'full: Temporal', 'full: fixed cost', 'incremental (1 % changed): raw', 'incremental: Temporal', 'incremental: fixed cost'],
      x.fixedCosts.map((c) => [
        kindName(c.kind),
        `${c.items} records (${c.pages})`,
        formatSpread(spreadOf(c.fullPasses.seconds.raw.values.map((v) => v * 1000)), ' ms', 0),
        formatSpread(spreadOf(c.fullPasses.seconds.temporal.values.map((v) => v * 1000)), ' ms', 0),
        formatSpread(c.full, ' ms', 0),
        formatSpread(spreadOf(c.incrementalPasses.seconds.raw.values.map((v) => v * 1000)), ' ms', 0),
        formatSpread(spreadOf(c.incrementalPasses.seconds.temporal.values.map((v) => v * 1000)), ' ms', 0),
        formatSpread(c.incremental, ' ms', 0),
      ]),
    ),
    '',
    `History of the product passes (newest run back through continue-as-new): ${x.histories.map((h) => `${h.workflowId}: ${h.runs} run(s), ≤ ${h.maxEventsPerRun} events a run, largest payload ${(h.largestPayloadBytes / 1024).toFixed(1)} KB`).join('; ')}.`,
  ].join('\n');
  return {
    title: 'Product sync',
    command: `node --import tsx bench/product-sync.ts${x.quick ? ' --quick' : ''}`,
    seconds: x.seconds,
    goals,
    markdown,
    data: x,
  };
}

if (require.main === module) {
  runBench('products', async () => {
    const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
    const report = await runProductSyncBenchmarks({ quick: values.quick, keep: values.keep });
    process.stdout.write(`\n${markdownTable(['benchmark', 'goal', 'measured', 'verdict'], report.goals.map((g) => [g.benchmark, g.goal, g.measured, g.verdict]))}\n\n${report.markdown}\n`);
    process.stdout.write(`BENCH_PRODUCTS_JSON ${JSON.stringify({ seconds: report.seconds, goals: report.goals, data: report.data })}\n`);
  });
}
