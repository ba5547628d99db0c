/**
 * The order paths of "Orders never lie, part two", recorded on the dev server: every way an open
 * order can be when a deploy meets it (waiting for a fix or for its source, read again, cancelled,
 * changed, woken in vain), and the reviews of deliveries that come after an order closed.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { lateDeliveryWorkflowId, orderContentHash, sourceWatchWorkflowId } from '../../domain';
import { deliverOrder } from '../../temporal/deliver-order';
import { cancelUpdate, retryUpdate } from '../../contracts/workflows';
import { startDevServer } from '../../test/helpers/temporal';
import { OMNI_CONNECTION_ID, type Stack, type StackOptions } from '../../test/helpers/stack';
import { makeOrder, untilActivityPending, waitFor } from '../../test/helpers/orders';
import { activityStepNames } from '../../test/helpers/history-reading';
import { orderHelpers, recording, save, withEngine } from './recording';

export const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Stainless Kettle 1.7L', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };
export const ORDER_PATHS_STACK: StackOptions = {
  omniItems: [KETTLE],
  omniConnection: { sourceProbeSeconds: 1 },
  guardTiming: { probeIntervalMs: 200 },
};
/** An order of kettles as Stock2Shop holds it for source 101. */
export const kettles = (code: string, qty = 1) => ({ ...makeOrder(code, [{ sku: 'KETTLE-01', qty, price: 304.34 }]), sources: [{ source_id: 101 }] });
export const ghost = (code: string, sku: string) => ({ ...makeOrder(code, [{ sku, qty: 1, price: 10 }]), sources: [{ source_id: 101 }] });

/** Stock2Shop holds the corrected content, and announces it (the webhook). */
export async function correct(stack: Stack, order: ReturnType<typeof kettles>): Promise<void> {
  await stack.stock2shop.replaceOrder(order);
  await stack.placeOrder(order);
}

/** The connection's retry window, briefly a few seconds (the object the activities read). */
async function withShortWindow<T>(stack: Stack, seconds: number, body: () => Promise<T>): Promise<T> {
  const omni = stack.connections.find((c) => c.id === OMNI_CONNECTION_ID)!;
  const before = omni.orderRetryDays;
  omni.orderRetryDays = seconds / 86_400;
  try {
    return await body();
  } finally {
    omni.orderRetryDays = before;
  }
}

export async function recordOrderPaths(): Promise<void> {
  const env = await startDevServer();
  await withEngine(env, ORDER_PATHS_STACK, async (stack) => {
    await waitingForFix(env, stack);
    await readAndWindow(env, stack);
    await settledByStock2Shop(env, stack);
    await unconfirmedAndWokenInVain(env, stack);
    await cancels(env, stack);
    await changes(env, stack);
  });
}

/** Deliveries while an order waits for a fix: the same content changes nothing; a correction is read and raised. */
async function waitingForFix(env: TestWorkflowEnvironment, stack: Stack): Promise<void> {
  const { handleOf, untilWaitingForFix, raised } = orderHelpers(env, stack);
  recording.step = 'deliveries while an order waits for a fix';
  const code = 'P2-FIX-1';
  await stack.placeOrder(ghost(code, 'NOT-YET'));
  await untilWaitingForFix(code);
  const connection = stack.connections.find((c) => c.id === OMNI_CONNECTION_ID)!;
  await deliverOrder(env.client, connection, code, { via: 'poll', contentHash: orderContentHash(stack.stock2shop.order(code).order) });
  await stack.placeOrder(ghost(code, 'NOT-YET'));
  await waitFor(
    async () => (activityStepNames(await handleOf(code).fetchHistory()).filter((s) => s.startsWith('prepareOrder')).length >= 2 ? true : undefined),
    'the re-read',
  );
  await correct(stack, kettles(code));
  await raised(code, { attempts: 2 });
  await save('order-delivery-while-waiting-for-fix', handleOf(code));

  recording.step = 'an invalid order, corrected';
  const invalid = 'P2-INVALID-1';
  await stack.placeOrder({ ...kettles(invalid), line_items: [{ sku: 'KETTLE-01', title: 'Kettle', qty: 0, price: 304.34, tax_lines: [] }] });
  await untilWaitingForFix(invalid);
  await correct(stack, kettles(invalid, 2));
  await raised(invalid, { attempts: 2 });
  await save('order-invalid-corrected-and-raised', handleOf(invalid));
}

/** The read handed to an activity task (Stock2Shop slow); a window that ends while the source is down. */
async function readAndWindow(env: TestWorkflowEnvironment, stack: Stack): Promise<void> {
  const { handleOf, until, raised } = orderHelpers(env, stack);
  recording.step = 'an order read while Stock2Shop is slow';
  const slow = 'P2-SLOW-1';
  void stack.stock2shop.addOrder(kettles(slow));
  await stack.stock2shop.setFaults({ latencyMs: 3000 });
  try {
    await stack.placeOrder(kettles(slow));
    await raised(slow);
  } finally {
    await stack.stock2shop.clearFaults();
  }
  assert.ok(activityStepNames(await handleOf(slow).fetchHistory()).includes('prepareOrder'), 'the read went on as an activity task');
  await save('order-read-went-on-as-activity-task', handleOf(slow));

  recording.step = 'a retry window that ends while Omni is down';
  const late = 'P2-WINDOW-1';
  await withShortWindow(stack, 6, async () => {
    await stack.omni.setOffline(true);
    await stack.placeOrder(kettles(late));
    await until(late, 'failed: the window ended', (s) => s.state === 'failed');
  });
  await stack.omni.setOffline(false);
  await waitFor(async () => stack.stock2shop.order(late).failure_reason ?? undefined, 'the failure written back');
  await handleOf(late).executeUpdate(retryUpdate);
  await raised(late, { attempts: 2 });
  await save('order-window-ended-after-outage-retried', handleOf(late));
}

/** What Stock2Shop says settles an order by itself: raised before, held for nobody, cancelled. */
async function settledByStock2Shop(env: TestWorkflowEnvironment, stack: Stack): Promise<void> {
  const { handleOf, until } = orderHelpers(env, stack);
  recording.step = 'an order Stock2Shop shows raised already';
  const raisedBefore = 'P2-RAISED-1';
  await stack.placeOrder({ ...kettles(raisedBefore), sources: [{ source_id: 101, source_order_code: 'SO-BY-HAND-1' }] });
  assert.equal((await handleOf(raisedBefore).result()).sourceOrderCode, 'SO-BY-HAND-1');
  await save('order-already-raised-in-stock2shop', handleOf(raisedBefore));

  recording.step = 'an order Stock2Shop holds for nobody, cancelled by a person';
  const missing = 'P2-MISSING-1';
  const connection = stack.connections.find((c) => c.id === OMNI_CONNECTION_ID)!;
  await deliverOrder(env.client, connection, missing, { via: 'webhook' });
  await until(missing, 'needs attention', (s) => s.state === 'needs_attention');
  await waitFor(async () => (((await handleOf(missing).describe()).raw.pendingActivities?.length ?? 0) === 0 ? true : undefined), 'the failure written back');
  await handleOf(missing).executeUpdate(cancelUpdate, { args: [{ reason: 'never sold', by: 'ops' }] });
  assert.equal((await handleOf(missing).result()).state, 'cancelled');
  await save('order-not-found-cancelled-by-person', handleOf(missing));

  recording.step = 'an order Stock2Shop shows cancelled';
  const cancelledThere = 'P2-CANCELLED-S2S-1';
  await stack.placeOrder({ ...kettles(cancelledThere), sources: [{ source_id: 101, cancelled_reason: 'cancelled by ops: customer phoned' }] });
  assert.equal((await handleOf(cancelledThere).result()).state, 'cancelled');
  await save('order-cancelled-in-stock2shop', handleOf(cancelledThere));
}

/** A create that may have reached Omni, then Omni offline past the window; an order woken while its finds still fail. */
async function unconfirmedAndWokenInVain(env: TestWorkflowEnvironment, stack: Stack): Promise<void> {
  const { handleOf, documentsFor, until, raised } = orderHelpers(env, stack);
  recording.step = 'a create that may have reached Omni, unconfirmed until a person retries';
  const code = 'P2-UNCONFIRMED-1';
  const omni = stack.connections.find((c) => c.id === OMNI_CONNECTION_ID)!;
  omni.createCommitDelaySeconds = 3;
  await withShortWindow(stack, 8, async () => {
    await stack.omni.setFaults({ loseCreateResponse: 1 });
    await stack.placeOrder(kettles(code));
    await waitFor(async () => (documentsFor(code).length === 1 ? true : undefined), 'Omni to store the create');
    await stack.omni.setOffline(true);
    await until(code, 'cannot confirm', (s) => s.state === 'needs_attention' && s.createUnconfirmed === true);
  });
  omni.createCommitDelaySeconds = 1;
  await stack.omni.clearFaults();
  await waitFor(async () => stack.stock2shop.order(code).failure_reason ?? undefined, 'the reason written back');
  await handleOf(code).executeUpdate(retryUpdate);
  await raised(code, { attempts: 2, alreadyExisted: true });
  await save('order-create-unconfirmed-retried-and-found', handleOf(code));

  recording.step = 'an order woken while its finds still fail';
  const vain = 'P2-VAIN-1';
  await stack.omni.setFaults({ resetRequestsMatching: [`reference=${vain}`] });
  await stack.placeOrder(kettles(vain));
  await until(vain, 'woken in vain twice', (s) => (s.futileWakes ?? 0) >= 2);
  await stack.omni.clearFaults();
  await raised(vain);
  await save('order-woken-in-vain-then-raised', handleOf(vain));
  const watch = env.client.workflow.getHandle(sourceWatchWorkflowId(OMNI_CONNECTION_ID));
  await watch.result();
  await save('source-watch-backed-off-after-futile-wake', watch);
}

/** A cancel in Temporal while waiting for the source; a terminate and the delivery after it; a cancel during the raise. */
async function cancels(env: TestWorkflowEnvironment, stack: Stack): Promise<void> {
  const { handleOf, untilWaitingForSource, untilWaitingForFix } = orderHelpers(env, stack);
  recording.step = 'an order cancelled in Temporal while it waits for its source';
  const waiting = 'P2-CANCEL-1';
  await stack.omni.setOffline(true);
  await stack.placeOrder(kettles(waiting));
  await untilWaitingForSource(waiting);
  await handleOf(waiting).cancel();
  await assert.rejects(handleOf(waiting).result(), (error: Error) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure);
  await stack.omni.setOffline(false);
  assert.ok(stack.stock2shop.order(waiting).cancelled_reason, 'the cancel written back');
  await save('order-cancelled-in-temporal-while-waiting-for-source', handleOf(waiting));

  recording.step = 'an order terminated, then announced again';
  const terminated = 'P2-TERMINATED-1';
  await stack.placeOrder(ghost(terminated, 'NEVER-1'));
  await untilWaitingForFix(terminated);
  await handleOf(terminated).terminate('keyed in by hand');
  await save('order-terminated', handleOf(terminated));
  assert.equal(await stack.placeOrder(ghost(terminated, 'NEVER-1')), 'cancelled');
  const review = env.client.workflow.getHandle(lateDeliveryWorkflowId(OMNI_CONNECTION_ID, terminated));
  assert.equal((await review.result()).outcome, 'cancel_written_back');
  await save('late-delivery-terminated-order-cancelled', review);

  recording.step = 'a cancel while the raise is under way';
  const during = 'P2-CANCEL-RAISING-1';
  await stack.omni.setFaults({ latencyMs: 1500 });
  await stack.placeOrder(kettles(during));
  await untilActivityPending(handleOf(during), 'raiseInSource', `${during} being raised`);
  await handleOf(during).cancel();
  const result = await handleOf(during).result();
  await stack.omni.clearFaults();
  assert.equal(result.state, 'raised');
  assert.match(result.notApplied?.join() ?? '', /while it was being raised/);
  await save('order-cancel-during-raise-not-applied', handleOf(during));
}

/** A correction while the source is down; a change while the write-back is pending; a change after the order closed. */
async function changes(env: TestWorkflowEnvironment, stack: Stack): Promise<void> {
  const { handleOf, untilWaitingForSource, until, raised } = orderHelpers(env, stack);
  recording.step = 'an order corrected while it waits for its source';
  const corrected = 'P2-CORRECTED-1';
  await stack.omni.setOffline(true);
  await stack.placeOrder(kettles(corrected));
  await untilWaitingForSource(corrected);
  await correct(stack, kettles(corrected, 3));
  await stack.omni.setOffline(false);
  await raised(corrected);
  await save('order-corrected-while-waiting-for-source', handleOf(corrected));

  recording.step = 'an order changed while its write-back is pending';
  const pending = 'P2-PENDING-1';
  await stack.omni.setFaults({ latencyMs: 1000 });
  await stack.placeOrder(kettles(pending));
  await untilActivityPending(handleOf(pending), 'raiseInSource', `${pending} being raised`);
  await stack.stock2shop.setFaults({ errorRate: 1, status: 503 });
  await stack.omni.clearFaults();
  await until(pending, 'write-back pending', (s) => s.writeBackPending === true);
  await stack.stock2shop.clearFaults();
  await correct(stack, kettles(pending, 4));
  const changed = await raised(pending);
  assert.ok(changed.notApplied?.length, 'the change reported');
  await save('order-changed-while-write-back-pending', handleOf(pending));

  recording.step = 'an order changed after it closed';
  const closed = 'P2-CLOSED-1';
  await stack.placeOrder(kettles(closed));
  await raised(closed);
  await correct(stack, kettles(closed, 2));
  const review = env.client.workflow.getHandle(lateDeliveryWorkflowId(OMNI_CONNECTION_ID, closed));
  assert.equal((await review.result()).outcome, 'change_reported');
  await save('late-delivery-change-reported', review);
}
