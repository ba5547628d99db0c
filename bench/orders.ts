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
 *              agents under node's --cpu-prof, all on the confined path; the top costs go into the report
 *   --rows     only these rows (default all six)
 *
 * The stack (bench/harness.ts): a fresh Temporal dev server as `npm start` configures it (the dispatch
 * tuning, SQLite file on disk; its Prometheus endpoint on a free port), two Omni simulators (one for
 * every row, one that goes down in row 4), the central worker and one agents process (an agent per Omni
 * connection, the default 20 activity slots each), a connection per use, each confined as `npm start`
 * runs an Omni connection (`"agent": {}`: its agent in its client's own namespace, each raise a Nexus
 * operation): `omni-raised` (requestLimits 32 at once / 1000 per s), `omni-default` (the default
 * limits), `omni-outage` (raised limits, its own simulator), `omni-open` (raised limits); and for row 8
 * `omni-central` (raised limits, not confined: its agent on its queue in the central namespace).
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
 *      order (dev server + central + agents, during the burst) and per process (the central worker's
 *      own against its goal); raw orders/s; what one order costs the server (the dev server's counters
 *      scraped around each burst, history events by type: bench/orders/server-cost.ts).
 *   2. 20 orders/s for 60 s, raised limits: delivery → raised p50 and p99; raw at that rate for 5 s.
 *   3. 100 orders at once, default limits (4 at once, 20 requests/s): engine orders/s ÷ raw orders/s.
 *   4. Omni refusing every connection for 60 s while 200 orders arrive (once): lost, duplicated,
 *      requests that reached the dead source per probe interval, last raised − source back.
 *   5. 1,000 open orders (a SKU Omni does not hold: each ends waiting for a person): RSS of the central
 *      worker and the agents (sampled 3 times, 5 s apart).
 *   6. the histories of raiseOrder runs of rows 1, 2, 4 and 5: events per run, largest payload.
 *   7. orders at once while Stock2Shop answers slowly.
 *   8. the confined path (an agent in its client's namespace, through its Nexus endpoint) against the
 *      central-queue path: bursts of 100 alternated, CPU per order, orders/s and the server's cost per
 *      order of each (in the same table as row 1's).
 *
 * Time budget: the whole program stays under 10 minutes (`budgetSeconds`, 580 s). A burst that has not
 * ended after twice the goal's time (1,000 orders: 50 s), a steady window whose orders are not all
 * raised 15 s after it, and any row that would eat the time of the rows after it are cut: the figure is
 * then a bound (`< 21 orders/s`, `p50 ≥ 30 s`), measured once, the goal missed; row 1 then measures the
 * burst at a tenth of the size (completed, 3 repeats). A cut row leaves orders in flight: the next row
 * gets a fresh stack.
 *
 * Prints its figures, the report's markdown, and last `BENCH_ORDERS_JSON {...}`.
 */
// The kit (bench/orders/kit.ts, stack.ts, pipeline.ts), one module per row (burst, steady, default-limits,
// outage, memory, histories, slow-stock2shop: each with its goal rows and markdown), codec.ts,
// profile.ts and report.ts live in bench/orders/; this file runs the selected rows in order.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gitCommit, loadAverage, machineCpuSeconds, machineInfo } from './proc';
import { projectRoot, runBench, say, setBenchLabel } from './harness';
import type { BenchReport } from './report';
import { DEFAULT_SIZES, f0, QUICK_SIZES, type OrderBenchOptions, type OrderBenchSizes, type Run } from './orders/kit';
import { cleanStack, newStack, warmUp } from './orders/stack';
import { burstRow } from './orders/burst';
import { steadyRow } from './orders/steady';
import { defaultLimitsRow } from './orders/default-limits';
import { outageRow } from './orders/outage';
import { memoryRow } from './orders/memory';
import { slowStock2ShopRow } from './orders/slow-stock2shop';
import { confinedRow } from './orders/confined';
import { codecCost } from './orders/codec';
import { profileRun } from './orders/profile';
import { goalRows, markdownOf, type OrderBenchData } from './orders/report';

export { DEFAULT_SIZES, QUICK_SIZES, type OrderBenchOptions, type OrderBenchSizes } from './orders/kit';

function commandOf(options: OrderBenchOptions, rows: Set<number>): string {
  const flags = [options.quick ? '--quick' : '', options.keep ? '--keep' : '', options.profile ? '--profile' : '', options.rows ? `--rows ${[...rows].join(',')}` : '']
    .filter(Boolean)
    .join(' ');
  return `node --import tsx bench/orders.ts${flags ? ` ${flags}` : ''}`;
}

/** The run the rows share, on a fresh stack (not yet warmed up). */
async function startRun(sizes: OrderBenchSizes, keep: boolean, rows: Set<number>, started: number): Promise<Run> {
  const { stack, rawActivities } = await newStack({ keep });
  return {
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
}

/** The selected rows in order, each on a fresh stack when the one before left orders in flight. */
async function runRows(run: Run, data: OrderBenchData): Promise<void> {
  const { rows } = run;
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
  if (rows.has(8)) {
    await cleanStack(run, 'the row before left orders in flight');
    data.confined = await confinedRow(run);
  }
  if (rows.has(7)) {
    await cleanStack(run, 'an earlier row left orders in flight');
    data.slowStock2Shop = await slowStock2ShopRow(run);
  }
}

export async function runOrderBenchmarks(options: OrderBenchOptions = {}): Promise<BenchReport> {
  setBenchLabel('orders');
  const started = Date.now();
  const sizes: OrderBenchSizes = { ...(options.quick ? QUICK_SIZES : DEFAULT_SIZES), ...options.sizes };
  const rows = new Set(options.rows ?? [1, 2, 3, 4, 5, 6, 7, 8]);
  const command = commandOf(options, rows);
  const machine = machineInfo();
  const commit = gitCommit(projectRoot);
  say(command);
  say(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB; node ${machine.node}; commit ${commit}; load ${loadAverage()}; sizes ${JSON.stringify(sizes)}`);
  const loadAtStart = loadAverage();
  const machineAtStart = machineCpuSeconds();
  const run = await startRun(sizes, options.keep ?? false, rows, started);
  try {
    await warmUp(run);
    say('warm-up done');
    const data: OrderBenchData = {
      date: new Date(started).toISOString(),
      machine,
      commit,
      command,
      sizes,
      sizing: { ...run.stack.sizing },
      seconds: 0,
      stacksStarted: 0,
      cuts: run.cuts,
      load: { atStart: loadAtStart, atEnd: '', machineBusyPercent: 0 },
    };
    await runRows(run, data);
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
    if (rows?.some((r) => !Number.isInteger(r) || r < 1 || r > 8)) throw new Error(`--rows ${values.rows}: use row numbers 1 to 8, e.g. --rows 1,3`);
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
