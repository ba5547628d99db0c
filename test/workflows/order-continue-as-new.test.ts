/**
 * An order whose history grows long (deliveries while it waits, many tries) continues as new when
 * Temporal suggests it, carrying its state: its attempts, deliveries, what it waits for and until
 * when, and its search attributes. The dev server here suggests it at 40 events.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import { retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { ConnectionIdKey, OrderStateKey } from '../../contracts/search-attributes';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

let env: TestWorkflowEnvironment;
let stack: Stack;
let workers: { stop(): Promise<void> } | undefined;

before(async () => {
  env = await startDevServer({ extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40'] });
  stack = await startStack(env, {
    omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    omniConnection: { sourceProbeSeconds: 1 },
    guardTiming: { probeIntervalMs: 200 },
  });
  workers = await runBothWorkers(stack);
});
after(async () => {
  await workers?.stop();
  await stack?.close();
  await env?.teardown();
});

const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));

/** The order's runs, oldest first, back through continue-as-new. */
async function runIdsOf(code: string): Promise<string[]> {
  const runs: string[] = [];
  let runId: string | undefined = (await handleOf(code).describe()).runId;
  while (runId) {
    runs.unshift(runId);
    const started: { workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string | null } | null } | undefined = (
      await env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code), runId).fetchHistory()
    ).events?.[0];
    runId = started?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  return runs;
}

/** Announces the order again until it has continued as new (each announcement adds to its history). */
async function announceUntilContinued(code: string): Promise<number> {
  let announced = 0;
  await waitFor(async () => {
    // The code is held already: this only announces it (the webhook).
    await stack.placeOrder(makeOrder(code, [{ sku: 'ANY', qty: 1, price: 1 }]));
    announced += 1;
    return (await runIdsOf(code)).length >= 2 ? true : undefined;
  }, `${code} to continue as new`);
  return announced;
}

test('an order waiting for its source continues as new with its state, and is raised once when the source is back', async () => {
  const code = 'CAN-1';
  await stack.omni.setOffline(true);
  try {
    await stack.placeOrder(makeOrder(code, [{ sku: 'KETTLE-01', qty: 2, price: 304.34 }]));
    await waitFor(async () => ((await handleOf(code).query(statusQuery)).waitingForSource ? true : undefined), `${code} to wait for Omni`);
    const announced = await announceUntilContinued(code);
    const status = await handleOf(code).query(statusQuery);
    assert.equal(status.attempts, 1, 'the same attempt goes on');
    assert.equal(status.deliveries.webhook, 1 + announced, 'every delivery counted, across runs');
    const attributes = (await handleOf(code).describe()).typedSearchAttributes;
    assert.equal(attributes.get(ConnectionIdKey), OMNI_CONNECTION_ID, 'the new run keeps its search attributes');
    assert.equal(attributes.get(OrderStateKey), 'raising');
  } finally {
    await stack.omni.setOffline(false);
  }
  const result = (await handleOf(code).result()) as OrderStatus;
  assert.equal(result.state, 'raised');
  assert.equal(result.attempts, 1);
  assert.equal(stack.omni.orders().filter((d) => d.reference === code).length, 1, 'one document');
});

test('an order waiting for a fix continues as new, keeps its deadline, and a retry after the fix raises it', async () => {
  const code = 'CAN-2';
  await stack.placeOrder(makeOrder(code, [{ sku: 'FIXED-LATER', qty: 1, price: 10 }]));
  await waitFor(async () => ((await handleOf(code).query(statusQuery)).state === 'needs_attention' ? true : undefined), `${code} to need attention`);
  await announceUntilContinued(code);
  const [firstRun, ...laterRuns] = await runIdsOf(code);
  const fixTimer = async (runId: string) =>
    (await env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code), runId).fetchHistory()).events
      ?.filter((e) => e.timerStartedEventAttributes)
      .at(-1);
  const timerEnd = (event: Awaited<ReturnType<typeof fixTimer>>) =>
    Number(event!.eventTime!.seconds) + Number(event!.timerStartedEventAttributes!.startToFireTimeout!.seconds);
  const firstEnd = timerEnd(await fixTimer(firstRun!));
  // The new run may not have started its wait yet when the old one closed.
  const lastEnd = timerEnd(await waitFor(() => fixTimer(laterRuns.at(-1)!), `${code}'s new run to start its wait`));
  assert.ok(Math.abs(lastEnd - firstEnd) <= 2, `the 30-day deadline is carried, not restarted (${firstEnd} vs ${lastEnd})`);
  stack.omni.addItem({ STOCKCODE: 'FIXED-LATER', DESCRIPTION: 'Fixed', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 3 });
  assert.deepEqual(await handleOf(code).executeUpdate(retryUpdate), { attempt: 2 });
  const result = (await handleOf(code).result()) as OrderStatus;
  assert.equal(result.state, 'raised');
  assert.equal(result.attempts, 2);
});
