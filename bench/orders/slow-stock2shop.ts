/**
 * Row 7 of bench/orders.ts: a slow Stock2Shop must not stall other workflows. Stock2Shop answers every
 * call in 8 s while 200 orders arrive at once; meanwhile another connection's product passes start
 * twice a second. Each pass's workflow tasks are timed from scheduled to started (its histories): the
 * time a workflow of another connection waits for a workflow-task slot of the central worker.
 */
import { CENTRAL_TASK_QUEUE, type Connection } from '../../domain';
import { deliverOrder } from '../../client/deliver-order';
import { quantile } from '../report';
import { mapLimit, say, sleep, type BenchStack } from '../harness';

export const SLOW_STOCK2SHOP_LATENCY_MS = 8000;
export const SLOW_STOCK2SHOP_GOAL_P99_MS = 1000;

export interface SlowStock2ShopRow {
  orders: number;
  latencyMs: number;
  otherWorkflows: number;
  workflowTasks: number;
  scheduleToStartMs: { p50: number; p99: number; max: number };
  raised: number;
  allRaised: boolean;
}

export interface SlowStock2ShopInput {
  stack: BenchStack;
  orders: number;
  /** Places the order in Stock2Shop for the connection. */
  place(connection: Connection, code: string, i: number): void;
  /** Waits until every code is raised or `deadline` passes. */
  raisedBy(codes: string[], deadline: number): Promise<{ at: Map<string, number>; complete: boolean }>;
  deadline: number;
  deliveryConcurrency: number;
}

const millisOf = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);

/** Every workflow task of the run: scheduled → started, ms. */
async function workflowTaskWaits(stack: BenchStack, workflowId: string): Promise<number[]> {
  const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = new Map<string, number>();
  const waits: number[] = [];
  for (const event of events) {
    if (event.workflowTaskScheduledEventAttributes) scheduled.set(String(event.eventId), millisOf(event.eventTime));
    const started = event.workflowTaskStartedEventAttributes;
    if (started) {
      const at = scheduled.get(String(started.scheduledEventId));
      if (at !== undefined) waits.push(millisOf(event.eventTime) - at);
    }
  }
  return waits;
}

export async function slowStock2ShopRow(input: SlowStock2ShopInput): Promise<SlowStock2ShopRow> {
  const { stack } = input;
  const connection = stack.connection('omni-raised');
  const other = stack.connection('omni-default');
  const codes = Array.from({ length: input.orders }, (_, i) => `SLOW-${String(i + 1).padStart(5, '0')}`);
  codes.forEach((code, i) => input.place(connection, code, i));
  await stack.stock2shop.setFaults({ latencyMs: SLOW_STOCK2SHOP_LATENCY_MS });
  say(`row 7: Stock2Shop answers in ${SLOW_STOCK2SHOP_LATENCY_MS / 1000} s; ${codes.length} orders arrive; ${other.id}'s passes start twice a second`);
  const passes: string[] = [];
  const passesStarted = (async () => {
    for (let i = 0; i < 40; i++) {
      const workflowId = `product-sync/${other.id}/bench-slow-${i}`;
      await stack.client.workflow.start('productSync', { taskQueue: CENTRAL_TASK_QUEUE, workflowId, args: [{ connectionId: other.id }] });
      passes.push(workflowId);
      await sleep(500);
    }
  })();
  await mapLimit(codes, input.deliveryConcurrency, (code) => deliverOrder(stack.client, connection, code, { via: 'webhook' }).then(() => undefined));
  await passesStarted;
  await stack.stock2shop.clearFaults();
  const { at, complete } = await input.raisedBy(codes, input.deadline);
  // The passes end once Stock2Shop answers again (a pass skipped for another finishes at once).
  await Promise.allSettled(passes.map((id) => stack.client.workflow.getHandle(id).result()));
  const waits = (await mapLimit(passes, 8, (id) => workflowTaskWaits(stack, id))).flat().sort((a, b) => a - b);
  const row: SlowStock2ShopRow = {
    orders: codes.length,
    latencyMs: SLOW_STOCK2SHOP_LATENCY_MS,
    otherWorkflows: passes.length,
    workflowTasks: waits.length,
    scheduleToStartMs: { p50: quantile(waits, 0.5) ?? 0, p99: quantile(waits, 0.99) ?? 0, max: waits.at(-1) ?? 0 },
    raised: at.size,
    allRaised: complete,
  };
  say(
    `row 7: ${row.workflowTasks} workflow tasks of ${row.otherWorkflows} other passes waited p50 ${row.scheduleToStartMs.p50} ms, ` +
      `p99 ${row.scheduleToStartMs.p99} ms, at most ${row.scheduleToStartMs.max} ms for a slot; ${row.raised} of ${row.orders} orders raised`,
  );
  return row;
}
