/**
 * A create that may have reached the source is remembered by the order: whatever happens after it (the
 * source going offline, the retry window ending, a 30-day wait), the order is never reported "not
 * raised". It ends as "needs a person: cannot confirm whether order X exists in <source>".
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import { retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };

let env: TestWorkflowEnvironment;
let stack: Stack;
let workers: { stop(): Promise<void> } | undefined;

before(async () => {
  env = await startDevServer();
  stack = await startStack(env, {
    omniItems: [KETTLE],
    // A retry window of about 20 s, so it ends while Omni is still offline; the watch probes every second.
    omniConnection: { orderRetryDays: 20 / 86_400, sourceProbeSeconds: 1, createCommitDelaySeconds: 3 },
    guardTiming: { probeIntervalMs: 200 },
  });
  workers = await runBothWorkers(stack);
});
after(async () => {
  await workers?.stop();
  await stack?.close();
  await env?.teardown();
});

test('a create whose answer was lost, then Omni offline until the window ends: "cannot confirm", never "not raised"', async (t) => {
  const code = 'UC-1';
  const handle = env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
  const documents = () => stack.omni.orders().filter((d: { reference: string }) => d.reference === code);
  await stack.omni.setFaults({ loseCreateResponse: 1 });
  await stack.placeOrder(makeOrder(code, [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
  // Omni stored the create (its answer is lost); it goes offline before the find after the commit delay.
  await waitFor(async () => (documents().length === 1 ? true : undefined), 'Omni to store the create');
  await stack.omni.setOffline(true);

  const waiting = await waitFor(async () => {
    const status = await handle.query(statusQuery);
    return status.state === 'needs_attention' || status.state === 'failed' ? status : undefined;
  }, 'the retry window to end while Omni is offline');
  assert.equal(waiting.state, 'needs_attention', `the order needs a person, not "${waiting.state}": ${waiting.reason}`);
  assert.match(waiting.reason ?? '', /cannot confirm whether order UC-1 exists in Omni Accounts/);
  assert.doesNotMatch(waiting.reason ?? '', /not raised/);
  assert.equal(waiting.createUnconfirmed, true);
  t.diagnostic(`reason: ${waiting.reason}`);
  const told = await waitFor(async () => stack.stock2shop.order(code).failure_reason ?? undefined, 'Stock2Shop to be told');
  assert.match(told, /cannot confirm whether order UC-1 exists in Omni Accounts/);
  assert.doesNotMatch(told, /not raised/);
  assert.equal((await handle.describe()).status.name, 'RUNNING', 'the order waits for a person');

  // The person checks Omni, which is back: the retry finds the order and creates nothing.
  await stack.omni.clearFaults();
  await handle.executeUpdate(retryUpdate);
  const result = (await handle.result()) as OrderStatus;
  assert.equal(result.state, 'raised');
  assert.equal(result.alreadyExisted, true);
  assert.equal(documents().length, 1, 'one document in Omni');
  assert.equal(stack.stock2shop.order(code).source_order_code, result.sourceOrderCode);
});
