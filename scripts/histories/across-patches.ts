/**
 * For every patch, a run started on the code before it (this checkout with that patch answered no,
 * worker/patch-sites.ts) and finished on this checkout's code, as a deploy in the middle of it does;
 * and the paths that need a server of their own: continue-as-new (the server suggests it early) and
 * the end of the 30-day wait (the time-skipping server).
 */
import assert from 'node:assert/strict';
import { WorkflowFailedError, WorkflowUpdateStage, type WorkflowUpdateHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId, sourceWatchWorkflowId } from '../../domain';
import { productSync } from '../../workflows';
import { retryUpdate, type RetryAccepted } from '../../contracts/workflows';
import { startDevServer, startTimeSkippingServer } from '../../test/helpers/temporal';
import { OMNI_CONNECTION_ID, type Stack } from '../../test/helpers/stack';
import { waitFor } from '../../test/helpers/orders';
import { activityStepNames, patchIdsOf } from '../../test/helpers/history-reading';
import { codeBefore, orderHelpers, recording, runChainOf, save, withEngine, type PhaseWorkers } from './recording';
import { ghost, KETTLE, kettles, ORDER_PATHS_STACK } from './order-paths';

type Scenario = (env: TestWorkflowEnvironment, stack: Stack, workers: PhaseWorkers) => Promise<void>;

export async function recordAcrossPatches(): Promise<void> {
  const env = await startDevServer();
  const stackOptions = { ...ORDER_PATHS_STACK, omniItems: [KETTLE, ...catalog(7)], omniConnection: { ...ORDER_PATHS_STACK.omniConnection, pageSize: 3 } };
  await withEngine(env, stackOptions, async (stack, workers) => {
    for (const scenario of [acrossOrderState, acrossLocalActivities, acrossCancelsAndChanges, acrossWakeTogether, acrossFirstProbe, acrossPagesInRuns]) {
      await scenario(env, stack, workers);
    }
  });
}

const catalog = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    STOCKCODE: `ITEM-${i + 1}`,
    DESCRIPTION: `Item ${i + 1}`,
    EXTRADTLS8: 'ACTIVE',
    SELLINGPRICE1: 10 + i,
    OAvailable: i,
  }));

/** Waits for a fix on the code before `patchId`; then, on this checkout's code, fixed and retried. */
function retriedAcross(patchId: string, name: Parameters<typeof save>[0], code: string): Scenario {
  return async (env, stack, workers) => {
    const { handleOf, untilWaitingForFix, raised } = orderHelpers(env, stack);
    recording.step = `an order across ${patchId}`;
    await workers.switchCentral(await codeBefore(patchId));
    await stack.placeOrder(ghost(code, `SKU-${code}`));
    await untilWaitingForFix(code);
    await workers.switchCentral();
    stack.omni.addItem({ STOCKCODE: `SKU-${code}`, DESCRIPTION: 'Arrived', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 3 });
    await handleOf(code).executeUpdate(retryUpdate);
    await raised(code, { attempts: 2 });
    assert.ok(patchIdsOf(await handleOf(code).fetchHistory()).includes(patchId), `${code}: took ${patchId} on the new code`);
    await save(name, handleOf(code), { startedBefore: [patchId] });
  };
}

const acrossOrderState = retriedAcross('order-state-search-attribute', 'order-across-order-state-search-attribute', 'AX-STATE-1');
const acrossLocalActivities = retriedAcross('order-local-activities', 'order-across-order-local-activities', 'AX-LOCAL-1');

const acrossCancelsAndChanges: Scenario = async (env, stack, workers) => {
  const { handleOf, untilWaitingForFix } = orderHelpers(env, stack);
  recording.step = 'an order across order-cancels-and-changes';
  const code = 'AX-CANCEL-1';
  await workers.switchCentral(await codeBefore('order-cancels-and-changes'));
  await stack.placeOrder(ghost(code, 'NEVER-AX'));
  await untilWaitingForFix(code);
  await workers.switchCentral();
  await handleOf(code).cancel();
  await assert.rejects(handleOf(code).result(), (error: Error) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure);
  assert.ok(stack.stock2shop.order(code).cancelled_reason, 'the cancel written back by the new code');
  await save('order-across-order-cancels-and-changes', handleOf(code), { startedBefore: ['order-cancels-and-changes'] });
};

/** The source watch of an outage, started on the code before `patchId`, wakes its orders on this checkout's code. */
function watchAcross(patchId: string, name: Parameters<typeof save>[0], codes: string[]): Scenario {
  return async (env, stack, workers) => {
    const { untilWaitingForSource, raised } = orderHelpers(env, stack);
    recording.step = `a source watch across ${patchId}`;
    await workers.switchCentral(await codeBefore(patchId));
    await stack.omni.setOffline(true);
    for (const code of codes) await stack.placeOrder(kettles(code));
    for (const code of codes) await untilWaitingForSource(code);
    const watch = env.client.workflow.getHandle(sourceWatchWorkflowId(OMNI_CONNECTION_ID));
    await waitFor(async () => ((await watch.fetchHistory()).events?.some((e) => e.timerFiredEventAttributes) ? true : undefined), 'a probe to find Omni down');
    await workers.switchCentral();
    await stack.omni.setOffline(false);
    for (const code of codes) await raised(code);
    await watch.result();
    await save(name, watch, { startedBefore: [patchId] });
  };
}

const acrossWakeTogether = watchAcross('wake-waiters-together', 'source-watch-across-wake-waiters-together', ['AX-WAKE-1', 'AX-WAKE-2']);
const acrossFirstProbe = watchAcross('watch-waits-before-first-probe', 'source-watch-across-watch-waits-before-first-probe', ['AX-PROBE-1']);

const acrossPagesInRuns: Scenario = async (env, stack, workers) => {
  recording.step = 'a product pass across product-pages-in-runs';
  await workers.switchCentral(await codeBefore('product-pages-in-runs'));
  await stack.omni.setFaults({ latencyMs: 400 });
  const pass = await env.client.workflow.start(productSync, {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: 'product-sync/acme-omni/across-pages-in-runs',
    args: [{ connectionId: OMNI_CONNECTION_ID }],
  });
  await waitFor(async () => ((await pass.fetchHistory()).events?.some((e) => e.activityTaskCompletedEventAttributes) ? true : undefined), 'a first page');
  await workers.switchCentral();
  await stack.omni.clearFaults();
  const summary = await pass.result();
  assert.ok(summary.pages > 1, 'several pages');
  assert.ok(
    activityStepNames(await pass.fetchHistory()).every((step) => step !== 'syncProductPages'),
    'the pass keeps one page per activity, as it began',
  );
  await save('product-sync-across-product-pages-in-runs', pass, { startedBefore: ['product-pages-in-runs'] });
};

/** Continue-as-new of an order and of the source watch (the server suggests it at 40 events), and an order across that patch. */
export async function recordContinueAsNewOfOrders(): Promise<void> {
  const env = await startDevServer({ extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=40'] });
  await withEngine(env, ORDER_PATHS_STACK, async (stack, workers) => {
    const { handleOf, untilWaitingForSource, untilWaitingForFix, raised } = orderHelpers(env, stack);
    const runsOf = (code: string) => runChainOf(env, raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
    const announceUntilContinued = (code: string, order: ReturnType<typeof kettles>) =>
      waitFor(async () => {
        await stack.placeOrder(order);
        return (await runsOf(code)).length >= 2 ? true : undefined;
      }, `${code} to continue as new`);

    recording.step = 'an order across order-continue-as-new';
    const across = 'AX-CAN-1';
    await workers.switchCentral(await codeBefore('order-continue-as-new'));
    await stack.placeOrder(ghost(across, 'LATER-CAN'));
    await untilWaitingForFix(across);
    for (let i = 0; i < 6; i++) await stack.placeOrder(ghost(across, 'LATER-CAN'));
    await workers.switchCentral();
    await announceUntilContinued(across, ghost(across, 'LATER-CAN'));
    const [acrossFirst] = await runsOf(across);
    await save('order-across-order-continue-as-new', env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, across), acrossFirst), {
      startedBefore: ['order-continue-as-new'],
    });
    await handleOf(across).terminate('recorded');

    recording.step = 'an order and its source watch continuing as new through an outage';
    const code = 'CAN-1';
    await stack.omni.setOffline(true);
    await stack.placeOrder(kettles(code));
    await untilWaitingForSource(code);
    await announceUntilContinued(code, kettles(code));
    const watch = env.client.workflow.getHandle(sourceWatchWorkflowId(OMNI_CONNECTION_ID));
    const watchRuns = () => runChainOf(env, watch.workflowId);
    await waitFor(async () => ((await watchRuns()).length >= 2 ? true : undefined), 'the source watch to continue as new', 120_000);
    await stack.omni.setOffline(false);
    await raised(code, { attempts: 1 });
    await watch.result();
    const [first, second] = await runsOf(code);
    await save('order-continued-as-new-first-run', env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code), first));
    await save('order-continued-as-new-continued-run', env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code), second));
    const watchChain = await watchRuns();
    await save('source-watch-continued-as-new-first-run', env.client.workflow.getHandle(watch.workflowId, watchChain[0]));
    await save('source-watch-continued-as-new-continued-run', env.client.workflow.getHandle(watch.workflowId, watchChain.at(-1)));
  });
}

/**
 * The end of the 30-day wait, on the time-skipping server: the central worker is stopped while the
 * days pass, so the timer's firing and a retry sent meanwhile reach the order in one workflow task.
 */
export async function recordRetryAtTheEndOfTheWait(): Promise<void> {
  const env = await startTimeSkippingServer();
  await withEngine(env, ORDER_PATHS_STACK, async (stack, workers) => {
    const { handleOf, until, untilWaitingForFix, raised } = orderHelpers(env, stack);
    /** Waits for a fix; then, with no worker, the 30 days run out with a retry sent moments before; then the workers are back. */
    const retryAsTheWaitEnds = async (code: string) => {
      recording.step = `${code}: waiting for a fix`;
      await untilWaitingForFix(code);
      // The wait began moments before now (the failure written back): it runs out within 30 days of now.
      const fireAt = (await env.currentTimeMs()) + 30 * 86_400_000;
      let update: Promise<WorkflowUpdateHandle<RetryAccepted>> | undefined;
      await workers.withoutWorkers(async () => {
        recording.step = `${code}: the days passing`;
        // In steps of at most a day: one long sleep call can outlive the test server's tolerance of client keepalive pings.
        for (let now = await env.currentTimeMs(); now < fireAt - 10_000; now = await env.currentTimeMs()) {
          await env.sleep(Math.min(86_400_000, fireAt - 10_000 - now));
        }
        recording.step = `${code}: the retry sent as the wait runs out`;
        stack.omni.addItem({ STOCKCODE: `SKU-${code}`, DESCRIPTION: 'Arrived', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 3 });
        update = handleOf(code).startUpdate(retryUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
        await waitFor(async () => ((await env.currentTimeMs()) > fireAt + 2000 ? true : undefined), 'the 30 days to run out');
      });
      recording.step = `${code}: the retry to be accepted`;
      return (await update!).result();
    };

    recording.step = 'a retry with the end of the wait for a fix';
    const code = 'DL-1';
    await stack.placeOrder(ghost(code, `SKU-${code}`));
    await retryAsTheWaitEnds(code);
    await raised(code, { attempts: 2 });
    await save('order-retry-with-the-end-of-its-wait', handleOf(code));

    recording.step = 'an order whose create may have reached Omni, unconfirmed through the 30-day wait';
    const unconfirmed = 'DL-UNCONFIRMED-1';
    const omni = stack.connections.find((c) => c.id === OMNI_CONNECTION_ID)!;
    omni.orderRetryDays = 10 / 86_400;
    await stack.omni.setFaults({ loseCreateResponse: 1, commitDelayMs: 0 });
    await stack.placeOrder(kettles(unconfirmed));
    await waitFor(async () => (stack.omni.orders().some((d) => d.reference === unconfirmed) ? true : undefined), 'Omni to store the create');
    await stack.omni.setOffline(true);
    await until(unconfirmed, 'cannot confirm', (s) => s.state === 'needs_attention' && s.createUnconfirmed === true);
    await stack.omni.clearFaults();
    // Omni answers again (so the source watch ends), but nobody looks: `result()` on the time-skipping client lets the 30 days pass.
    await assert.rejects(
      handleOf(unconfirmed).result(),
      (error: Error) => error instanceof WorkflowFailedError && /nobody confirmed/.test(error.cause?.message ?? ''),
    );
    omni.orderRetryDays = 3;
    await save('order-not-confirmed-after-30-day-wait', handleOf(unconfirmed));

    recording.step = 'an order across honour-accepted-retry';
    const across = 'DL-AX-1';
    await workers.switchCentral(await codeBefore('honour-accepted-retry'));
    await stack.placeOrder(ghost(across, `SKU-${across}`));
    await untilWaitingForFix(across);
    await workers.switchCentral();
    await assert.rejects(handleOf(across).result(), (error: Error) => error instanceof WorkflowFailedError);
    await save('order-across-honour-accepted-retry', handleOf(across), { startedBefore: ['honour-accepted-retry'] });
  });
}
