/**
 * `npm run histories:record`: runs every workflow path on a real Temporal server and saves each
 * closed run's history as pretty JSON under test/histories/<name>.json, the replay corpus that
 * test/workflows/replay.test.ts replays with the current workflow code (see test/histories/README.md).
 *
 * Everything runs in this process: the dev server (and, for the 30-day wait, the time-skipping test
 * server), the simulators and the central and agent workers, as the tests start them
 * (test/helpers). Payloads are encrypted with the tests' fixed key (TEST_KEY_RING_TEXT), so the
 * replay test can decode them. Each file is overwritten; one line is printed per file written.
 * `npm run histories:record -- <name>…` runs every path but writes only the files named (a new
 * path's, say), leaving the committed ones alone.
 *
 * Never re-record a committed history to make a failing replay pass: a failing replay means the
 * workflow code changed in a way open runs of that shape would not survive.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { CENTRAL_TASK_QUEUE, sourceWatchWorkflowId } from '../domain';
import { pollOrders, productSync, watchSource } from '../workflows';
import { retryUpdate } from '../contracts/workflows';
import { OrderStateKey } from '../contracts/search-attributes';
import { startDevServer, startTimeSkippingServer } from '../test/helpers/temporal';
import { OMNI_CONNECTION_ID, type StackOptions } from '../test/helpers/stack';
import { makeOrder, untilActivityPending, untilCalledAsActivityTask, waitFor } from '../test/helpers/orders';
import { RECORDED_HISTORIES } from '../test/helpers/replay';
import { orderHelpers, recording, save, withEngine } from './histories/recording';
import { recordOrderPaths } from './histories/order-paths';
import { recordConfinedPaths } from './histories/confined';
import { recordProductPushPaths } from './histories/product-push';
import { recordSkipPaths } from './histories/order-skip';
import { recordAcrossPatches, recordContinueAsNewOfOrders, recordRetryAtTheEndOfTheWait } from './histories/across-patches';
import { activityStepNames, patchIdsOf } from '../test/helpers/history-reading';

const projectRoot = resolve(__dirname, '..');
const outputDir = join(projectRoot, 'test', 'histories');

/**
 * Product sync across continue-as-new: the dev server suggests continue-as-new once a run's history
 * holds this many events (dynamic config `limit.historyCount.suggestContinueAsNew`), so a pass of
 * PAGES_FOR_CONTINUE_AS_NEW one-item pages continues in a second run without a catalog of
 * MAX_PAGES_PER_RUN (100) pages, whose history would weigh hundreds of KB.
 */
const SUGGEST_CONTINUE_AS_NEW_AT_EVENTS = 30;
/** Enough one-item pages for several activities of PAGES_PER_ACTIVITY pages each. */
const PAGES_FOR_CONTINUE_AS_NEW = 45;

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Stainless Kettle 1.7L', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };
/** A small catalog with every kind of record: ACTIVE, DELETE, IGNORE, an invalid price, and one that will leave. */
const omniCatalog = [
  { STOCKCODE: 'FAN-04', DESCRIPTION: 'Desk Fan', EXTRADTLS8: 'IGNORE', SELLINGPRICE1: 159, OAvailable: 7 },
  { STOCKCODE: 'HEATER-05', DESCRIPTION: 'Oil Heater', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 'abc', OAvailable: 3 },
  { STOCKCODE: 'IRON-03', DESCRIPTION: 'Steam Iron', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 199.5, OAvailable: 0 },
  KETTLE,
  { STOCKCODE: 'LAMP-06', DESCRIPTION: 'Reading Lamp', EXTRADTLS8: 'Active', SELLINGPRICE1: 89.9, OAvailable: 40 },
  { STOCKCODE: 'TOASTER-02', DESCRIPTION: 'Two-slice Toaster', EXTRADTLS8: ' active ', SELLINGPRICE1: 299, OAvailable: -4 },
  { STOCKCODE: 'SHIP', DESCRIPTION: 'Courier', EXTRADTLS8: 'IGNORE', SELLINGPRICE1: 0, OAvailable: 0 },
];

const HISTORY_NAMES = RECORDED_HISTORIES;
const { only, written } = recording;

/** A pass that the server asks to continue as new: the first run (continued) and the last (completed). */
async function recordContinueAsNew(): Promise<void> {
  const env = await startDevServer({
    extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT_EVENTS}`],
  });
  const items = Array.from({ length: PAGES_FOR_CONTINUE_AS_NEW }, (_, i) => ({
    STOCKCODE: `ITEM-0${i + 1}`,
    DESCRIPTION: `Item ${i + 1}`,
    EXTRADTLS8: 'ACTIVE',
    SELLINGPRICE1: 10 + i,
    OAvailable: i,
  }));
  await withEngine(env, { omniItems: items, omniConnection: { pageSize: 1 } }, async () => {
    recording.step = 'product sync across continue-as-new';
    const handle = await env.client.workflow.start(productSync, {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: 'product-sync/acme-omni/continued',
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
    const summary = await handle.result();
    assert.equal(summary.pages, PAGES_FOR_CONTINUE_AS_NEW);
    assert.equal(summary.pushed, PAGES_FOR_CONTINUE_AS_NEW);
    // The runs, newest first, back through continue-as-new.
    const runs: string[] = [];
    let runId: string | undefined;
    do {
      const run = env.client.workflow.getHandle(handle.workflowId, runId);
      const started = (await run.fetchHistory()).events?.[0];
      runs.unshift(runId ?? (await run.describe()).runId);
      runId = started?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    } while (runId);
    assert.equal(runs.length, 2, `the pass ran in ${runs.length} runs; tune SUGGEST_CONTINUE_AS_NEW_AT_EVENTS for exactly 2`);
    await save('product-sync-page-runs-continue-as-new-first-run', env.client.workflow.getHandle(handle.workflowId, runs[0]));
    await save('product-sync-page-runs-continue-as-new-continued-run', env.client.workflow.getHandle(handle.workflowId, runs[1]));
  });
}

/** Every other path on the dev server, one stack. */
async function recordOnDevServer(): Promise<void> {
  const env = await startDevServer();
  const options: StackOptions = {
    omniItems: omniCatalog,
    // Three records a page (a pass of a few pages); the source watch probes every second.
    omniConnection: { pageSize: 3, sourceProbeSeconds: 1 },
    guardTiming: { probeIntervalMs: 200 },
  };
  await withEngine(env, options, async (stack) => {
    const { handleOf, until, untilWaitingForFix, raised } = orderHelpers(env, stack);

    // A product sync with an invalid record, a DELETE and a product removed from the source: the
    // first pass records the catalog; between passes IRON-03 turns DELETE and LAMP-06 leaves.
    recording.step = 'product sync with invalid, deleted and removed products';
    await env.client.workflow.execute(productSync, {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: 'product-sync/acme-omni/first',
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
    stack.omni.updateItem('IRON-03', { EXTRADTLS8: 'DELETE' });
    stack.omni.removeItem('LAMP-06');
    const sync = await env.client.workflow.start(productSync, {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: 'product-sync/acme-omni/second',
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
    const summary = await sync.result();
    assert.equal(summary.invalid, 1);
    assert.equal(summary.deleted, 1);
    assert.deepEqual(summary.removedCodes, ['LAMP-06']);
    await save('product-sync-page-runs-invalid-deleted-and-removed', sync);

    // The order poll: one order waits in Stock2Shop, not announced; the poll delivers it.
    recording.step = 'the order poll';
    void stack.stock2shop.addOrder({ ...makeOrder('WEB-POLL-1', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]), sources: [{ source_id: 101 }] });
    const poll = await env.client.workflow.start(pollOrders, {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: `order-poll/${OMNI_CONNECTION_ID}/recorded`,
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
    await poll.result();
    await raised('WEB-POLL-1');
    await save('order-poll', poll);

    // An order raised at once.
    recording.step = 'an order raised at once';
    await stack.placeOrder(makeOrder('WEB-1001', [{ sku: 'KETTLE-01', qty: 2, price: 304.34 }], { shipping: 60 }));
    await raised('WEB-1001', { attempts: 1, alreadyExisted: false });
    await save('order-local-raised-at-once', handleOf('WEB-1001'));

    // Stock2Shop refuses the write-back of a raised order: the local tries end, and the write-back
    // goes on as an activity task until Stock2Shop takes it.
    recording.step = 'an order whose write-back goes on as an activity task';
    await stack.omni.setFaults({ latencyMs: 1000 });
    await stack.placeOrder(makeOrder('WEB-1008', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
    await untilActivityPending(handleOf('WEB-1008'), 'raiseInSource', 'order WEB-1008 being raised in the source');
    await stack.stock2shop.setFaults({ errorRate: 1, status: 400 });
    await stack.omni.clearFaults();
    await untilCalledAsActivityTask(handleOf('WEB-1008'), 'writeBackSourceOrderCode', 'the write-back of WEB-1008 to go on as an activity task');
    await stack.stock2shop.clearFaults();
    await raised('WEB-1008', { attempts: 1 });
    assert.deepEqual(activityStepNames(await handleOf('WEB-1008').fetchHistory()), [
      'prepareOrder (local)',
      'raiseInSource',
      'writeBackSourceOrderCode (local)',
      'writeBackSourceOrderCode',
    ]);
    await save('order-local-write-back-went-on-as-activity-task', handleOf('WEB-1008'));

    // The create commits, its answer is lost; the activity's next try (after the commit delay) finds
    // it and creates nothing. The lost answer also marks the source down for 2 × sourceProbeSeconds:
    // a commit delay longer than that lets the next try ask the source instead of waiting for the watch.
    recording.step = 'an order whose create answer was lost';
    const omni = stack.connections.find((c) => c.id === OMNI_CONNECTION_ID)!;
    omni.createCommitDelaySeconds = 3;
    await stack.omni.setFaults({ loseCreateResponse: 1 });
    await stack.placeOrder(makeOrder('WEB-1002', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
    await raised('WEB-1002', { attempts: 1, alreadyExisted: true });
    await stack.omni.clearFaults();
    omni.createCommitDelaySeconds = 1;
    const lostAnswer = await handleOf('WEB-1002').fetchHistory();
    assert.deepEqual(
      activityStepNames(lostAnswer),
      ['prepareOrder (local)', 'raiseInSource', 'writeBackSourceOrderCode (local)'],
      'WEB-1002: found by the retry of the same activity',
    );
    assert.ok(
      lostAnswer.events?.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 0) >= 2),
      'WEB-1002: found on a later attempt',
    );
    await save('order-local-create-answer-lost-found-on-next-try', handleOf('WEB-1002'));

    // An unknown SKU: needs attention; the item is added, a retry (the Update `order retry` sends)
    // raises it. Its OrderState search attribute follows it (patch 'order-state-search-attribute'):
    // raising, needs_attention, raising, raised.
    recording.step = 'an order needing attention, retried';
    const orderStateOf = async (code: string) => (await handleOf(code).describe()).typedSearchAttributes.get(OrderStateKey);
    await stack.placeOrder(makeOrder('WEB-1003', [{ sku: 'GHOST-99', qty: 1, price: 10 }]));
    await untilWaitingForFix('WEB-1003');
    assert.equal(await orderStateOf('WEB-1003'), 'needs_attention');
    stack.omni.addItem({ STOCKCODE: 'GHOST-99', DESCRIPTION: 'Found it', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 1 });
    assert.deepEqual(await handleOf('WEB-1003').executeUpdate(retryUpdate), { attempt: 2 });
    await raised('WEB-1003', { attempts: 2 });
    assert.equal(await orderStateOf('WEB-1003'), 'raised');
    const retried = await handleOf('WEB-1003').fetchHistory();
    const orderStates = (retried.events ?? []).flatMap((e) => {
      const field = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[OrderStateKey.name];
      return field?.data ? [JSON.parse(Buffer.from(field.data).toString('utf8')) as string] : [];
    });
    assert.deepEqual(orderStates, ['raising', 'needs_attention', 'raising', 'raised'], 'WEB-1003: every state upserted, in order');
    for (const patch of ['order-state-search-attribute', 'order-local-activities']) assert.ok(patchIdsOf(retried).includes(patch), `WEB-1003: took ${patch}`);
    assert.deepEqual(
      activityStepNames(retried),
      ['prepareOrder (local)', 'raiseInSource', 'writeBackOrderFailure', 'prepareOrder (local)', 'raiseInSource', 'writeBackSourceOrderCode (local)'],
      'WEB-1003: read, refused by the source, failure written back; on the retry read again, raised, written back',
    );
    await save('order-local-needs-attention-retried-and-raised', handleOf('WEB-1003'));

    // An order cancelled while it waits for a fix.
    recording.step = 'an order cancelled while it waits for a fix';
    await stack.placeOrder(makeOrder('WEB-1004', [{ sku: 'NOT-THERE', qty: 1, price: 1 }]));
    await untilWaitingForFix('WEB-1004');
    await handleOf('WEB-1004').cancel();
    await assert.rejects(handleOf('WEB-1004').result(), (error: Error) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure);
    assert.equal((await handleOf('WEB-1004').describe()).status.name, 'CANCELLED');
    await save('order-local-cancelled-while-waiting-for-fix', handleOf('WEB-1004'));

    // The source is down: two orders wait, the connection's source watch probes until it answers,
    // wakes both together (patch 'wake-waiters-together'), and ends; the orders are raised.
    recording.step = 'orders waiting for their source through an outage';
    await stack.omni.setOffline(true);
    await stack.placeOrder(makeOrder('WEB-1005', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
    await stack.placeOrder(makeOrder('WEB-1007', [{ sku: 'KETTLE-01', qty: 3, price: 304.34 }]));
    await until('WEB-1005', 'waiting for its source', (s) => s.waitingForSource === true);
    await until('WEB-1007', 'waiting for its source', (s) => s.waitingForSource === true);
    const watch = env.client.workflow.getHandle<typeof watchSource>(sourceWatchWorkflowId(OMNI_CONNECTION_ID));
    // A probe or two find it still down.
    await waitFor(async () => {
      const events = (await watch.fetchHistory()).events ?? [];
      return events.filter((e) => e.timerFiredEventAttributes).length >= 1 ? true : undefined;
    }, 'the source watch to probe the source down');
    await stack.omni.setOffline(false);
    await raised('WEB-1005', { attempts: 1 });
    await raised('WEB-1007', { attempts: 1 });
    const woken = await watch.result();
    assert.equal(woken.woken, 2);
    assert.ok(activityStepNames(await handleOf('WEB-1005').fetchHistory()).includes('registerSourceWaiter'), 'WEB-1005 waited for the source watch');
    const watchHistory = await watch.fetchHistory();
    const wakeTasks = (watchHistory.events ?? []).flatMap((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.workflowTaskCompletedEventId ?? []);
    assert.equal(wakeTasks.length, 2, 'the watch signalled both orders');
    assert.equal(new Set(wakeTasks.map(String)).size, 1, 'both signals in one workflow task');
    assert.ok(patchIdsOf(watchHistory).includes('wake-waiters-together'));
    await save('order-local-waited-for-source-outage-and-raised', handleOf('WEB-1005'));
    await save('source-watch-woke-waiting-orders-together', watch);
  });
}

/** The 30-day wait for a fix runs out: on the time-skipping server, one order only (it is fragile under load). */
async function recordOnTimeSkippingServer(): Promise<void> {
  const env = await startTimeSkippingServer();
  await withEngine(env, { omniItems: [KETTLE], guardTiming: { probeIntervalMs: 200 } }, async (stack) => {
    const { handleOf, untilWaitingForFix } = orderHelpers(env, stack);
    recording.step = 'an order whose 30-day wait for a fix runs out (time-skipping server)';
    await stack.placeOrder(makeOrder('WEB-3001', [{ sku: 'GHOST-30', qty: 1, price: 10 }]));
    await untilWaitingForFix('WEB-3001');
    // `result()` on the time-skipping client lets the 30 days pass.
    await assert.rejects(handleOf('WEB-3001').result(), (error: Error) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.ok(error.cause instanceof ApplicationFailure && error.cause.type === 'OrderNotRaised', String(error.cause));
      return true;
    });
    await save('order-local-not-raised-after-30-day-wait-for-fix', handleOf('WEB-3001'));
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(outputDir, { recursive: true });
  const known = new Set<string>(HISTORY_NAMES);
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Error(`No recorded path named ${unknown.join(', ')}; the paths: ${HISTORY_NAMES.join(', ')}`);
  const phases: Record<string, () => Promise<void>> = {
    'product-continue-as-new': recordContinueAsNew,
    'dev-server': recordOnDevServer,
    'time-skipping': recordOnTimeSkippingServer,
    'order-paths': recordOrderPaths,
    'across-patches': recordAcrossPatches,
    'order-continue-as-new': recordContinueAsNewOfOrders,
    'end-of-wait': recordRetryAtTheEndOfTheWait,
    confined: recordConfinedPaths,
    'product-push': recordProductPushPaths,
    'order-skip': recordSkipPaths,
  };
  // HISTORY_PHASES=order-paths,across-patches runs only those phases (while working on them).
  const chosen = process.env.HISTORY_PHASES ? process.env.HISTORY_PHASES.split(',') : Object.keys(phases);
  for (const name of chosen) {
    const phase = phases[name];
    if (!phase) throw new Error(`No phase ${name}; the phases: ${Object.keys(phases).join(', ')}`);
    await phase();
  }
  process.stderr.write(`recorded ${written.length} histories in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
