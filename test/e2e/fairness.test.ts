/**
 * One client's burst never queues another client's workflows behind it: every workflow starts with its
 * connection as fairness key (temporal/priority.ts) and the dev server dispatches the keys in turn
 * (`matching.enableFairness`, as `npm start` runs it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, productSyncScheduleId, raiseOrderWorkflowId } from '../../domain';
import { connectionPriority, fairnessKeyOf } from '../../temporal/priority';
import { applyConnectionSchedules } from '../../client/schedules';
import { DEFAULT_SIZING } from '../../worker/sizing';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

let env: TestWorkflowEnvironment;
let stack: Stack;
before(async () => {
  env = await startDevServer();
  stack = await startStack(env, { omniItems: 5, isyncItems: 5 });
});
after(async () => {
  await stack?.close();
  await env?.teardown();
});

const millis = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;

async function firstTaskStartedAt(workflowId: string): Promise<number> {
  const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return millis(events.find((e) => e.workflowTaskStartedEventAttributes)!.eventTime);
}

test('a fairness key is at most 64 bytes, and two long connection ids keep apart', () => {
  assert.equal(fairnessKeyOf('acme-omni'), 'acme-omni');
  const long = (tail: string) => `${'a-very-long-client-name-'.repeat(4)}${tail}`;
  const [one, two] = [fairnessKeyOf(long('one')), fairnessKeyOf(long('two'))];
  assert.ok(Buffer.byteLength(one) <= 64 && Buffer.byteLength(two) <= 64);
  assert.notEqual(one, two);
  const accented = fairnessKeyOf(`${'é'.repeat(40)}-omni`);
  assert.ok(Buffer.byteLength(accented) <= 64, `${accented} is ${Buffer.byteLength(accented)} bytes`);
});

test("50 orders of one connection queued, then another connection's pass: the pass's first task is among the first dispatched", async () => {
  const codes = Array.from({ length: 50 }, (_, i) => `FAIR-${i + 1}`);
  // Queued with no worker running: the backlog a burst leaves in the central task queue.
  for (const code of codes) await stack.placeOrder(makeOrder(code, [{ sku: stack.omni.catalog()[0]!.STOCKCODE as string, qty: 1, price: 10 }]));
  const pass = await env.client.workflow.start('productSync', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: `product-sync/${ISYNC_CONNECTION_ID}/fairness`,
    args: [{ connectionId: ISYNC_CONNECTION_ID }],
    priority: connectionPriority(ISYNC_CONNECTION_ID),
  });
  const order = env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, codes[0]!));
  assert.equal((await order.describe()).raw.workflowExecutionInfo?.priority?.fairnessKey, OMNI_CONNECTION_ID, "an order carries its connection's key");

  // Two workflow-task slots (the least the SDK takes): the tasks are taken about in the order the server hands them out.
  const worker = await stack.startCentralWorker({ sizing: { ...DEFAULT_SIZING, workflowTaskSlots: 2 } });
  const running = worker.run();
  try {
    await pass.result();
    await waitFor(async () => {
      const started = await Promise.all(codes.map((code) => firstTaskStartedAt(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).catch(() => undefined)));
      return started.every((at) => at !== undefined) ? true : undefined;
    }, 'every order to start');
  } finally {
    worker.shutdown();
    await running;
  }
  const passStarted = await firstTaskStartedAt(pass.workflowId);
  const ordersBefore = (await Promise.all(codes.map((code) => firstTaskStartedAt(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code))))).filter(
    (at) => at < passStarted,
  ).length;
  console.log(`# ${ordersBefore} of ${codes.length} queued orders were dispatched before the other connection's pass`);
  assert.ok(ordersBefore < 10, `${ordersBefore} of the ${codes.length} orders queued first went before the pass (FIFO: about all of them)`);
});

test("a connection's schedules start their workflows with its fairness key", async () => {
  const connection = stack.connections.find((c) => c.id === ISYNC_CONNECTION_ID)!;
  await applyConnectionSchedules(env.client, connection);
  const { action } = await env.client.schedule.getHandle(productSyncScheduleId(connection.id)).describe();
  assert.equal(action.type, 'startWorkflow');
  assert.deepEqual((action as { priority?: { fairnessKey?: string } }).priority?.fairnessKey, connection.id);
});
