/**
 * A `retry` accepted is honoured: one that arrives in the very workflow task in which the order's
 * 30-day wait for a fix runs out is answered "accepted" and raises the order, instead of the order
 * failing anyway (time-skipping server: the workers are stopped while the 30 days pass, so the
 * timer's firing and the retry reach the order in one workflow task).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowUpdateStage } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import { retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { startTimeSkippingServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { DEFAULT_SIZING } from '../../worker/sizing';

let env: TestWorkflowEnvironment;
let stack: Stack;

before(async () => {
  env = await startTimeSkippingServer();
  stack = await startStack(env, {
    omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
  });
});
after(async () => {
  await stack?.close();
  await env?.teardown();
});

/** When the order's wait for a fix runs out: its 30-day timer's start plus its duration. */
async function waitForFixEndsAt(code: string): Promise<number> {
  const events = (await env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).fetchHistory()).events ?? [];
  const started = events.filter((e) => e.timerStartedEventAttributes).at(-1)!;
  const at = Number(started.eventTime?.seconds ?? 0) * 1000 + Math.floor((started.eventTime?.nanos ?? 0) / 1e6);
  return at + Number(started.timerStartedEventAttributes!.startToFireTimeout?.seconds ?? 0) * 1000;
}

/** The workers, with no workflow cache: a task left on a stopped worker's sticky queue would wait there, the clock stopped. */
async function withWorkersRunning<T>(body: () => Promise<T>): Promise<T> {
  const workers = [await stack.startCentralWorker({ sizing: { ...DEFAULT_SIZING, workflowCacheSize: 0 } }), await stack.startAgentWorker()];
  const running = workers.map((w) => w.run());
  try {
    return await body();
  } finally {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.allSettled(running);
  }
}

test('a retry that arrives with the end of the 30-day wait is honoured: the order is raised', async () => {
  const code = 'RD-1';
  const handle = env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
  await withWorkersRunning(async () => {
    await stack.placeOrder(makeOrder(code, [{ sku: 'ARRIVES-LATE', qty: 1, price: 10 }]));
    await waitFor(async () => ((await handle.query(statusQuery)).state === 'needs_attention' ? true : undefined), `${code} to wait for a fix`);
    await waitFor(async () => stack.stock2shop.order(code).failure_reason ?? undefined, `${code}'s failure written back`);
    await waitFor(async () => (((await handle.describe()).raw.pendingActivities?.length ?? 0) === 0 ? true : undefined), `${code}: no activity pending`);
  });
  // With no worker, the 30 days pass: skipped to moments before the wait's timer, then real time lets
  // it fire; its workflow task waits for a worker, and so does the retry sent meanwhile.
  const fireAt = await waitForFixEndsAt(code);
  const skipTo = fireAt - 3_000;
  // In steps of at most a day: one long sleep call can outlive the test server's tolerance of client keepalive pings.
  for (let now = await env.currentTimeMs(); now < skipTo; now = await env.currentTimeMs()) await env.sleep(Math.min(86_400_000, skipTo - now));
  stack.omni.addItem({ STOCKCODE: 'ARRIVES-LATE', DESCRIPTION: 'Fixed by a person', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 5 });
  const update = handle.startUpdate(retryUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
  await waitFor(async () => ((await env.currentTimeMs()) > fireAt + 1_000 ? true : undefined), 'the 30 days to run out');
  const result = await withWorkersRunning(async () => {
    const accepted = await (await update).result();
    assert.equal(accepted.attempt, 2, 'the retry was accepted');
    return (await handle.result()) as OrderStatus;
  });
  assert.equal(result.state, 'raised', 'an accepted retry is honoured');
  assert.equal(stack.omni.orders().filter((d) => d.reference === code).length, 1);
});
