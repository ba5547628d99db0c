/**
 * Row 7 of bench/orders.ts: a slow Stock2Shop must not stall other workflows. Stock2Shop answers every
 * call in 8 s while 200 orders arrive at once; meanwhile another connection's product passes start
 * twice a second. Each pass's workflow tasks are timed from scheduled to started (its histories): the
 * time a workflow of another connection waits for a workflow-task slot of the central worker.
 */
import { CENTRAL_TASK_QUEUE } from '../../domain';
import { deliverOrder } from '../../temporal/deliver-order';
import { connectionPriority } from '../../temporal/priority';
import { quantile, verdict, type GoalRow } from '../report';
import { mapLimit, say, sleep, type BenchStack } from '../harness';
import { codesOf, linesFor, msText, placeOrder, raisedBy, rowDeadline, type Run } from './kit';

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

async function phase(run: Run, latencyMs: number, label: string, deadline: number): Promise<SlowStock2ShopPhase> {
  const { stack } = run;
  const connection = stack.connection('omni-raised');
  const other = stack.connection('omni-default');
  const codes = codesOf(label, run.sizes.slowStock2ShopOrders, 5);
  codes.forEach((code, i) => placeOrder(run, connection, code, linesFor(run, i)));
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
  await mapLimit(codes, run.sizes.deliveryConcurrency, (code) => deliverOrder(stack.client, connection, code, { via: 'webhook' }).then(() => undefined));
  await passesStarted;
  await stack.stock2shop.clearFaults();
  const slowUntil = Date.now();
  const { at, complete } = await raisedBy(run, codes, deadline);
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

export async function slowStock2ShopRow(run: Run): Promise<SlowStock2ShopRow> {
  const deadline = rowDeadline(run, 7);
  const halfway = Date.now() + (deadline - Date.now()) / 2;
  const fast = await phase(run, 0, 'FAST', halfway);
  const slow = await phase(run, SLOW_STOCK2SHOP_LATENCY_MS, 'SLOW', deadline);
  if (!fast.allRaised || !slow.allRaised) run.dirty = true;
  return { orders: run.sizes.slowStock2ShopOrders, fast, slow };
}

// ------------------------------------------------------------------------------------------------- report

export function slowStock2ShopGoalRows(row: SlowStock2ShopRow): GoalRow[] {
  const { orders, fast, slow } = row;
  const spread = (x: WaitSpread) => `${msText(x.p99)} (p50 ${msText(x.p50)}, at most ${msText(x.max)}, ${x.tasks} tasks)`;
  const raised = (x: SlowStock2ShopPhase) => `${x.raised} of ${orders} orders raised${x.allRaised ? '' : ', cut'}`;
  return [
    {
      benchmark: `Stock2Shop answering in ${slow.latencyMs / 1000} s, ${orders} orders at once: workflow-task schedule-to-start of another connection's workflows, p99`,
      goal: `≤ ${SLOW_STOCK2SHOP_GOAL_P99_MS / 1000} s`,
      measured:
        `${spread(slow.scheduleToStartMs)} of ${slow.otherWorkflows} passes; once Stock2Shop answers again and every order's call returns at once, ${spread(slow.afterRecoveryMs)}; ${raised(slow)}. ` +
        `The same burst with Stock2Shop answering at once: ${spread(fast.scheduleToStartMs)}, then ${spread(fast.afterRecoveryMs)}; ${raised(fast)}`,
      verdict: verdict(slow.scheduleToStartMs.p99 <= SLOW_STOCK2SHOP_GOAL_P99_MS),
    },
  ];
}
