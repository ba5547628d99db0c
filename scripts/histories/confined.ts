/**
 * The paths of a confined agent (acme-omni names `agent`): its calls go through the Nexus endpoint
 * of its client's namespace. An order raised, a product pass, and an outage the source watch probes
 * through the endpoint.
 */
import assert from 'node:assert/strict';
import { sourceWatchWorkflowId, manualProductSyncWorkflowId, CENTRAL_TASK_QUEUE } from '../../domain';
import type { watchSource } from '../../workflows';
import { startDevServer } from '../../test/helpers/temporal';
import { OMNI_CONNECTION_ID } from '../../test/helpers/stack';
import { makeOrder, waitFor } from '../../test/helpers/orders';
import { orderHelpers, recording, save, withEngine } from './recording';
import { KETTLE } from './order-paths';

/** The Nexus operations a history scheduled, in order. */
function operationsOf(history: { events?: { nexusOperationScheduledEventAttributes?: { operation?: string | null } | null }[] | null }): string[] {
  return (history.events ?? []).flatMap((event) => event.nexusOperationScheduledEventAttributes?.operation ?? []);
}

export async function recordConfinedPaths(): Promise<void> {
  const env = await startDevServer();
  const options = { omniItems: [KETTLE], omniConnection: { agent: {}, sourceProbeSeconds: 1 }, guardTiming: { probeIntervalMs: 200 } };
  await withEngine(env, options, async (stack) => {
    const { handleOf, until, raised } = orderHelpers(env, stack);
    recording.step = 'a confined order raised at once, answered by the endpoint synchronously (the quick raise)';
    await stack.placeOrder(makeOrder('WEB-C-1', [{ sku: 'KETTLE-01', qty: 2, price: 304.34 }]));
    await raised('WEB-C-1', { attempts: 1 });
    assert.deepEqual(operationsOf(await handleOf('WEB-C-1').fetchHistory()), ['raiseInSource']);
    assert.ok(!(await handleOf('WEB-C-1').fetchHistory()).events?.some((event) => event.nexusOperationStartedEventAttributes), 'answered synchronously');
    await save('order-confined-raised-quickly', handleOf('WEB-C-1'));

    recording.step = 'a confined order raised at once by its backing run (Omni slower than the quick raise waits)';
    await stack.omni.setFaults({ latencyMs: 4000 });
    await stack.placeOrder(makeOrder('WEB-C-3', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
    await raised('WEB-C-3', { attempts: 1 });
    await stack.omni.setFaults({ latencyMs: 0 });
    assert.ok(
      (await handleOf('WEB-C-3').fetchHistory()).events?.some((event) => event.nexusOperationStartedEventAttributes),
      'answered asynchronously',
    );
    await save('order-confined-raised-at-once', handleOf('WEB-C-3'));

    recording.step = 'a confined product pass';
    const pass = await env.client.workflow.start('productSync', {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: manualProductSyncWorkflowId(OMNI_CONNECTION_ID),
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
    await pass.result();
    assert.deepEqual(operationsOf(await pass.fetchHistory()), ['syncProductPages']);
    await save('product-sync-confined', pass);

    recording.step = 'a confined order waiting for its source';
    await stack.omni.setOffline(true);
    await stack.placeOrder(makeOrder('WEB-C-2', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
    await until('WEB-C-2', 'waiting for its source', (s) => s.waitingForSource === true);
    const watch = env.client.workflow.getHandle<typeof watchSource>(sourceWatchWorkflowId(OMNI_CONNECTION_ID));
    await waitFor(async () => (operationsOf(await watch.fetchHistory()).length >= 1 ? true : undefined), 'the watch to probe through the endpoint');
    await stack.omni.setOffline(false);
    await raised('WEB-C-2', { attempts: 1 });
    assert.equal((await watch.result()).woken, 1);
    await save('order-confined-waited-for-source-outage-and-raised', handleOf('WEB-C-2'));
    await save('source-watch-confined-woke-waiting-order', watch);
  });
}
