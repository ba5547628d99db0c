/**
 * The two ways an order is raised in the rows: the raw pipeline (the activities in a plain loop, in
 * this process) and the engine (delivered as the webhook does, raised by the workers), with the CPU
 * each process spent on an engine burst.
 */
import { performance } from 'node:perf_hooks';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Connection } from '../../domain';
import type { PreparedOrder, RaiseInSourceResult } from '../../contracts/activities';
import { deliverOrder } from '../../temporal/deliver-order';
import type { TreeSample } from '../proc';
import { mapLimit, sleep } from '../harness';
import { countersBetween, scrapeServerCounters, type ServerCounters } from '../server-metrics';
import { linesFor, placeOrder, raisedBy, type Run } from './kit';

/** CPU seconds of each process between two samples. */
function cpuBetween(a: Record<string, TreeSample>, b: Record<string, TreeSample>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, sample] of Object.entries(b)) {
    const before = a[name];
    if (before) out[name] = sample.cpu - before.cpu;
  }
  return out;
}

export const ENGINE_PROCESSES = ['devServer', 'central', 'agents'];
export const engineCpu = (cpu: Record<string, number>) => ENGINE_PROCESSES.reduce((sum, name) => sum + (cpu[name] ?? 0), 0);

export const quietLogger = new DefaultLogger('WARN');

/** The raw pipeline of one order: the activities in a plain loop, in activity contexts; resolves when written back. */
export async function rawOrder(run: Run, connection: Connection, code: string): Promise<void> {
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
export async function rawBurst(run: Run, connection: Connection, codes: string[]): Promise<{ ordersPerSecond: number; seconds: number }> {
  codes.forEach((code, i) => placeOrder(run, connection, code, linesFor(run, i)));
  const t0 = performance.now();
  await mapLimit(codes, run.stack.sizing.agentActivitySlots, (code) => rawOrder(run, connection, code));
  const seconds = (performance.now() - t0) / 1000;
  return { ordersPerSecond: codes.length / seconds, seconds };
}

export interface EngineBurst {
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
  /** With `serverMetrics`: the dev server's counters over the burst (null when it could not be scraped). */
  server?: ServerCounters | null;
}

/**
 * The dev server's counters reach its /metrics about once a second (measured: a request shows 0.7–0.9 s
 * later), and after the last order is raised its run still completes (a workflow task): the scrape
 * after a burst waits this long. A caller leaves as long a quiet time before a burst, so that the scrape
 * before it holds everything earlier.
 */
export const SETTLE_MS = 1500;

/**
 * Engine: `codes` placed, then delivered as the webhook does (`deliveryConcurrency` at once); first
 * delivery → last raised, or cut at `deadline` (the run is then dirty: orders still in flight).
 * `serverMetrics`: the dev server's counters scraped right before the CPU sample that opens the burst
 * and again `SETTLE_MS` after the one that closes it (the server's own reporting delay; the last runs'
 * completions): the scrapes' own cost falls outside the CPU window, and the counters' window holds the
 * burst and 1.5 s of the stack idle after it.
 */
export async function engineBurst(run: Run, connection: Connection, codes: string[], deadline: number, { serverMetrics = false }: { serverMetrics?: boolean } = {}): Promise<EngineBurst> {
  const { stack } = run;
  codes.forEach((code, i) => placeOrder(run, connection, code, linesFor(run, i)));
  const countersBefore = serverMetrics ? await scrapeServerCounters(stack.devServer.metricsUrl) : null;
  const before = stack.sampler.sampleNow();
  const t0 = Date.now();
  const monotonicFrom = Number(process.hrtime.bigint() / 1000n);
  await mapLimit(codes, run.sizes.deliveryConcurrency, (code) => deliverOrder(stack.client, connection, code, { via: 'webhook' }));
  const deliveredSeconds = (Date.now() - t0) / 1000;
  const { at, complete } = await raisedBy(run, codes, deadline);
  const after = stack.sampler.sampleNow();
  const monotonicTo = Number(process.hrtime.bigint() / 1000n);
  const end = complete ? Math.max(...at.values()) : Date.now();
  if (!complete) run.dirty = true;
  let server: ServerCounters | null | undefined;
  if (serverMetrics) {
    await sleep(SETTLE_MS);
    const countersAfter = await scrapeServerCounters(stack.devServer.metricsUrl);
    server = countersBefore && countersAfter ? countersBetween(countersBefore, countersAfter) : null;
  }
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
    monotonicUs: { from: monotonicFrom, to: monotonicTo },
    ...(serverMetrics ? { server: server ?? null } : {}),
  };
}
