/**
 * Row 7 of bench/orders.ts: a slow Stock2Shop must not stall other workflows. Stock2Shop answers every
 * call in 8 s while 200 orders arrive at once; meanwhile another connection's product passes start
 * twice a second. Each pass's workflow tasks are timed from scheduled to started (its histories): the
 * time a workflow of another connection waits for a workflow-task slot of the central worker.
 */
import { CENTRAL_TASK_QUEUE, type Connection } from '../../domain';
import { deliverOrder } from '../../temporal/deliver-order';
import { connectionPriority } from '../../temporal/priority';
import { quantile } from '../report';
import { mapLimit, say, sleep, type BenchStack } from '../harness';

export const SLOW_STOCK2SHOP_LATENCY_MS = 8000;
export const SLOW_STOCK2SHOP_GOAL_P99_MS = 1000;

export interface WaitSpread {
  tasks: number;
  p50: number;
  p99: number;
  max: number;
}

/** One phase: the orders at once and the other connection's passes, with Stock2Shop answering after `latencyMs`. */
export interface SlowStock2ShopPhase {
  latencyMs: number;
  otherWorkflows: number;
  /** The other passes' workflow tasks scheduled while Stock2Shop answered after `latencyMs` (the goal's). */
  scheduleToStartMs: WaitSpread;
  /** Those scheduled once Stock2Shop answered briskly again: every order's call returns at once. */
  afterRecoveryMs: WaitSpread;
  raised: number;
  allRaised: boolean;
}

export interface SlowStock2ShopRow {
  orders: number;
  /** The same burst with Stock2Shop answering at once: the wait the machine's own load gives. */
  fast: SlowStock2ShopPhase;
  slow: SlowStock2ShopPhase;
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

interface TaskWait {
  scheduledAt: number;
  waitedMs: number;
}

/** Every workflow task of the run: when it was scheduled, and how long until a worker started it. */
async function workflowTaskWaits(stack: BenchStack, workflowId: string): Promise<TaskWait[]> {
  const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = new Map<string, number>();
  const waits: TaskWait[] = [];
  for (const event of events) {
    if (event.workflowTaskScheduledEventAttributes) scheduled.set(String(event.eventId), millisOf(event.eventTime));
    const started = event.workflowTaskStartedEventAttributes;
    if (started) {
      const at = scheduled.get(String(started.scheduledEventId));
      if (at !== undefined) waits.push({ scheduledAt: at, waitedMs: millisOf(event.eventTime) - at });
    }
  }
  return waits;
}

function spreadOf(waits: TaskWait[]): WaitSpread {
  const sorted = waits.map((w) => w.waitedMs).sort((a, b) => a - b);
  return { tasks: sorted.length, p50: quantile(sorted, 0.5) ?? 0, p99: quantile(sorted, 0.99) ?? 0, max: sorted.at(-1) ?? 0 };
}

const PASSES_PER_PHASE = 30;

async function phase(input: SlowStock2ShopInput, latencyMs: number, label: string, deadline: number): Promise<SlowStock2ShopPhase> {
  const { stack } = input;
  const connection = stack.connection('omni-raised');
  const other = stack.connection('omni-default');
  const codes = Array.from({ length: input.orders }, (_, i) => `${label}-${String(i + 1).padStart(5, '0')}`);
  codes.forEach((code, i) => input.place(connection, code, i));
  if (latencyMs > 0) await stack.stock2shop.setFaults({ latencyMs });
  const slowFrom = Date.now();
  say(`row 7 (${label}): Stock2Shop answers in ${latencyMs / 1000} s; ${codes.length} orders arrive; ${other.id}'s passes start twice a second`);
  const passes: string[] = [];
  const passesStarted = (async () => {
    for (let i = 0; i < PASSES_PER_PHASE; i++) {
      const workflowId = `product-sync/${other.id}/bench-${label.toLowerCase()}-${i}`;
      await stack.client.workflow.start('productSync', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId,
        args: [{ connectionId: other.id }],
        priority: connectionPriority(other.id),
      });
      passes.push(workflowId);
      await sleep(500);
    }
  })();
  await mapLimit(codes, input.deliveryConcurrency, (code) => deliverOrder(stack.client, connection, code, { via: 'webhook' }).then(() => undefined));
  await passesStarted;
  await stack.stock2shop.clearFaults();
  const slowUntil = Date.now();
  const { at, complete } = await input.raisedBy(codes, deadline);
  // The passes end once Stock2Shop answers again (a pass skipped for another finishes at once).
  await Promise.allSettled(passes.map((id) => stack.client.workflow.getHandle(id).result()));
  const waits = (await mapLimit(passes, 8, (id) => workflowTaskWaits(stack, id))).flat();
  const result: SlowStock2ShopPhase = {
    latencyMs,
    otherWorkflows: passes.length,
    scheduleToStartMs: spreadOf(waits.filter((w) => w.scheduledAt >= slowFrom && w.scheduledAt < slowUntil)),
    afterRecoveryMs: spreadOf(waits.filter((w) => w.scheduledAt >= slowUntil)),
    raised: at.size,
    allRaised: complete,
  };
  const text = (x: WaitSpread) => `${x.tasks} tasks p50 ${x.p50} ms, p99 ${x.p99} ms, at most ${x.max} ms`;
  say(
    `row 7 (${label}): the other passes' workflow tasks waited for a slot: ${text(result.scheduleToStartMs)} while Stock2Shop answered in ${latencyMs / 1000} s; ` +
      `${text(result.afterRecoveryMs)} after; ${result.raised} of ${codes.length} orders raised`,
  );
  return result;
}

export async function slowStock2ShopRow(input: SlowStock2ShopInput): Promise<SlowStock2ShopRow> {
  const halfway = Date.now() + (input.deadline - Date.now()) / 2;
  const fast = await phase(input, 0, 'FAST', halfway);
  const slow = await phase(input, SLOW_STOCK2SHOP_LATENCY_MS, 'SLOW', input.deadline);
  return { orders: input.orders, fast, slow };
}
