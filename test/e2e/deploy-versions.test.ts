/**
 * A deploy on a live namespace, with Worker Versioning (docs/versioning.md): version A runs, an order
 * waits for a fix and a product sync is under way; version B (A plus a `patched()` change to
 * raiseOrder) is deployed and made current. The waiting order, retried, completes on B through the
 * new code path with no non-determinism; the sync, pinned, finishes on A.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { engineWorkflowBundle, workerVersion } from '../../worker/workers';
import { endRunsPinnedToOtherVersions, setCurrentVersion, type DeploymentVersion } from '../../worker/deployment';
import type { WorkflowBundle } from '../../worker/workflow-bundle';
import { startDevServer, testDataConverter } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { rereadBeforeRaise, variantWorkflowBundle } from '../helpers/variant-bundle';
import { activityStepNames, patchIdsOf } from '../helpers/history-reading';

const DEPLOYMENT = { name: 'engine-under-test' };
const EventType = temporal.api.enums.v1.EventType;

let env: TestWorkflowEnvironment;
let stack: Stack;
const running: Promise<void>[] = [];
const stops: (() => unknown)[] = [];

before(async () => {
  env = await startDevServer();
  stack = await startStack(env, { omniItems: 24, isyncItems: 5, omniConnection: { pageSize: 2 } });
  const agent = await stack.startAgentWorker();
  running.push(agent.run());
  stops.push(() => agent.shutdown());
});
after(async () => {
  for (const stop of stops) stop();
  await Promise.allSettled(running);
  await stack?.close();
  await env?.teardown();
});

/** By bundle: the version its workers poll as, and how to stop its central worker. */
const deployed = new Map<string, { version: DeploymentVersion; stop(): Promise<void> }>();

async function deploy(bundle: WorkflowBundle): Promise<DeploymentVersion> {
  const worker = await stack.startCentralWorker({ deployment: DEPLOYMENT, workflowBundle: bundle });
  const run = worker.run();
  running.push(run);
  stops.push(() => worker.getState() === 'RUNNING' && worker.shutdown());
  const version = workerVersion(worker)!;
  deployed.set(bundle.codePath, {
    version,
    async stop() {
      worker.shutdown();
      await run;
    },
  });
  await setCurrentVersion(env.connection, 'default', version);
  return version;
}

async function buildIdOf(handle: WorkflowHandle): Promise<string | undefined> {
  const { raw } = await handle.describe();
  return raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId ?? undefined;
}

test('an order waiting on version A is retried and raised on version B through its patched path; a pinned sync started on A ends on A', async () => {
  const bundleA = await engineWorkflowBundle(testDataConverter, { versioned: true });
  const bundleB = await variantWorkflowBundle('reread-before-raise', rereadBeforeRaise({ guarded: true }), { versioned: true });
  assert.notEqual(bundleA.buildId, bundleB.buildId, 'a change to workflow code is a new build id');
  const versionA = await deploy(bundleA);

  // On A: an order that needs a person (its source cannot prove whether it exists), and a slow sync.
  const sku = stack.isync.catalog()[0]!.SKU as string;
  const orderHandle = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(ISYNC_CONNECTION_ID, code));
  await stack.placeOrder(makeOrder('VER-1', [{ sku, qty: 1, price: 100 }]), ISYNC_CONNECTION_ID);
  assert.equal(((await orderHandle('VER-1').result()) as OrderStatus).state, 'raised');
  await stack.isync.setFaults({ ignoreFindFilter: true });
  await stack.placeOrder(makeOrder('VER-2', [{ sku, qty: 2, price: 100 }]), ISYNC_CONNECTION_ID);
  const waiting = orderHandle('VER-2');
  await waitFor(async () => ((await waiting.query(statusQuery)).state === 'needs_attention' ? true : undefined), 'VER-2 needs attention');
  assert.equal(await buildIdOf(waiting), versionA.buildId);

  await stack.omni.setFaults({ latencyMs: 400 });
  const sync = await env.client.workflow.start('productSync', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: `product-sync/${OMNI_CONNECTION_ID}/deploy-test`,
    args: [{ connectionId: OMNI_CONNECTION_ID }],
  });

  // Deploy B and make it current while the sync is still running on A.
  const versionB = await deploy(bundleB);
  assert.equal((await sync.describe()).status.name, 'RUNNING', 'the sync was under way when B became current');

  await stack.isync.clearFaults();
  await waiting.executeUpdate(retryUpdate);
  const raised = (await waiting.result()) as OrderStatus;
  assert.equal(raised.state, 'raised');
  assert.equal(stack.isync.orders().filter((o) => o.PONumber === 'VER-2').length, 1, 'raised once');
  assert.equal(await buildIdOf(waiting), versionB.buildId, 'the auto-upgrade order moved to B');
  const orderHistory = await waiting.fetchHistory();
  const orderEvents = orderHistory.events ?? [];
  assert.equal(orderEvents.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).length, 0, 'no workflow task failed');
  const patches = patchIdsOf(orderHistory);
  assert.ok(patches.includes('reread-before-raise'), `B's patched path ran: its patch marker is in the history (${patches.join('; ')})`);
  const steps = activityStepNames(orderHistory);
  assert.deepEqual(
    steps.slice(steps.lastIndexOf('writeBackOrderFailure') + 1),
    ['prepareOrder (local)', 'prepareOrder (local)', 'raiseInSource', 'writeBackSourceOrderCode (local)'],
    "B's retry read the order, read it again right before the raise (the patched step), then raised it",
  );

  await sync.result();
  assert.equal(await buildIdOf(sync), versionA.buildId, 'the pinned sync stayed on A');
  const syncEvents = (await sync.fetchHistory()).events ?? [];
  const taskVersions = new Set(syncEvents.flatMap((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId ?? []));
  assert.deepEqual([...taskVersions], [versionA.buildId], 'every workflow task of the sync ran on A');
});

test("a pinned iSync pass's pages run on its version's iSync worker while an order on the newer version raises on the newer one", async () => {
  const bundleA = await engineWorkflowBundle(testDataConverter, { versioned: true });
  const bundleB = await variantWorkflowBundle('reread-before-raise', rereadBeforeRaise({ guarded: true }), { versioned: true });
  const versionA = deployed.get(bundleA.codePath)!.version;
  const versionB = deployed.get(bundleB.codePath)!.version;
  await setCurrentVersion(env.connection, 'default', versionA);
  // iSync down: the pass's page call is tried, fails and is tried again, with B current by then.
  await stack.isync.setOffline(true);
  const sync = await env.client.workflow.start('productSync', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: `product-sync/${ISYNC_CONNECTION_ID}/deploy-test`,
    args: [{ connectionId: ISYNC_CONNECTION_ID, full: true }],
  });
  await waitFor(
    async () => ((await sync.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'syncProductPages') ? true : undefined),
    'the pass to try its pages',
  );
  assert.equal(await buildIdOf(sync), versionA.buildId, 'the sync runs on A');
  await setCurrentVersion(env.connection, 'default', versionB);
  await stack.isync.setOffline(false);
  const sku = stack.isync.catalog()[0]!.SKU as string;
  await stack.placeOrder(makeOrder('VER-3', [{ sku, qty: 1, price: 100 }]), ISYNC_CONNECTION_ID);
  const order = env.client.workflow.getHandle(raiseOrderWorkflowId(ISYNC_CONNECTION_ID, 'VER-3'));
  assert.equal(((await order.result()) as OrderStatus).state, 'raised');
  assert.ok((await sync.result()).pages > 0);

  const startedBy = async (handle: WorkflowHandle, activityType: string) => {
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = new Map(
      events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [[String(e.eventId), e.activityTaskScheduledEventAttributes]] : [])),
    );
    return events.flatMap((e) => {
      const started = e.activityTaskStartedEventAttributes;
      const of = started ? scheduled.get(String(started.scheduledEventId)) : undefined;
      return of?.activityType?.name === activityType && of.taskQueue?.name === 'isync' ? [started!.identity ?? ''] : [];
    });
  };
  const pages = await startedBy(sync, 'syncProductPages');
  assert.ok(pages.length > 0, 'the pass read its pages on the iSync queue');
  assert.deepEqual(
    pages.filter((identity) => !identity.endsWith(` isync ${versionA.buildId}`)),
    [],
    `every page of the pinned pass ran on A's iSync worker (${versionA.buildId}), none on B's (${versionB.buildId})`,
  );
  const raises = await startedBy(order, 'raiseInSource');
  assert.equal(raises.length, 1);
  assert.ok(raises[0]!.endsWith(` isync ${versionB.buildId}`), `the order started on B raised on B's iSync worker (${raises[0]})`);
});

test('a single-process stack restarted as a new version ends the syncs pinned to the old one, which no worker serves any more', async () => {
  const bundleA = await engineWorkflowBundle(testDataConverter, { versioned: true });
  const bundleB = await variantWorkflowBundle('reread-before-raise', rereadBeforeRaise({ guarded: true }), { versioned: true });
  const versionA = deployed.get(bundleA.codePath)!.version;
  const versionB = deployed.get(bundleB.codePath)!.version;
  await setCurrentVersion(env.connection, 'default', versionA);
  await stack.omni.setFaults({ latencyMs: 400 });
  const orphan = await env.client.workflow.start('productSync', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: `product-sync/${OMNI_CONNECTION_ID}/orphaned`,
    args: [{ connectionId: OMNI_CONNECTION_ID }],
  });
  await waitFor(async () => ((await buildIdOf(orphan)) === versionA.buildId ? true : undefined), 'the sync runs on A');
  await deployed.get(bundleA.codePath)!.stop();
  await setCurrentVersion(env.connection, 'default', versionB);
  await stack.omni.clearFaults();

  const ended = await waitFor(async () => {
    const ids = await endRunsPinnedToOtherVersions(env.client, versionB);
    return ids.length > 0 ? ids : undefined;
  }, 'the orphaned sync is found');
  assert.deepEqual(ended, [orphan.workflowId]);
  const { status } = await orphan.describe();
  assert.equal(status.name, 'TERMINATED');
  assert.deepEqual(await endRunsPinnedToOtherVersions(env.client, versionB), [], 'nothing else was pinned elsewhere');
});
