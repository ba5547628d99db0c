/**
 * An Omni Accounts server down for six hours (time-skipping server): each attempt finds it
 * unreachable, Temporal's capped backoff (5 s doubling to 10 minutes) spaces the retries, and when
 * it is back every waiting order is raised once and written back to Stock2Shop.
 *
 * (The agent itself switched off is tested on the dev server in test/e2e: the time-skipping server
 * stops its clock while an activity task waits for a worker, so that case cannot skip time.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { raiseOrderWorkflowId } from '../../domain';
import type { OrderStatus } from '../../contracts/workflows';
import { startTimeSkippingServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, startStack, type Stack } from '../helpers/stack';
import { makeOrder } from '../helpers/orders';

let env: TestWorkflowEnvironment;
let stack: Stack;
before(async () => {
  env = await startTimeSkippingServer();
  stack = await startStack(env, {
    omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    // One probe every 30 minutes: the outage is spent in the orders' workflows and the source watch's timers
    // (few workflow tasks: the time-skipping server expires a task in flight when a sleep skips time).
    omniConnection: { sourceProbeSeconds: 1800 },
  });
});
after(async () => {
  await stack?.close();
  await env?.teardown();
});

/** How many times the run scheduled activities of this type (each schedule is one attempt here: no retries). */
async function scheduledActivities(handle: WorkflowHandle, activityType: string): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType).length;
}

test('Omni down for 6 hours: every waiting order is raised once when it is back, with few attempts', async (t) => {
  const workers = [await stack.startCentralWorker(), await stack.startAgentWorker()];
  const running = workers.map((w) => w.run());
  try {
    await stack.omni.setOffline(true);
    const codes = Array.from({ length: 3 }, (_, i) => `WEB-6H-${i + 1}`);
    for (const code of codes) {
      const order = makeOrder(code, [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]);
      await stack.placeOrder(order);
    }
    const serverStart = await env.currentTimeMs();
    // In ten-minute steps: one long sleep call can outlive the test server's tolerance of client
    // keepalive pings, and the call then never returns.
    for (let step = 0; step < 36; step++) await env.sleep('10 minutes');
    assert.equal(stack.omni.orders().length, 0, 'nothing reached Omni while it was down');
    await stack.omni.setOffline(false);

    const handles = codes.map((code) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)));
    const results = (await Promise.all(handles.map((h) => h.result()))) as OrderStatus[];
    const serverElapsedMs = (await env.currentTimeMs()) - serverStart;
    assert.ok(serverElapsedMs >= 6 * 3600_000, `server time moved ${serverElapsedMs} ms`);
    for (const [i, code] of codes.entries()) {
      assert.equal(results[i]!.state, 'raised');
      assert.ok(results[i]!.attempts === 1, "one workflow attempt: the retries were the activity's own");
      assert.equal(stack.omni.orders().filter((d) => d.reference === code).length, 1);
      assert.equal(stack.stock2shop.order(code).source_order_code, results[i]!.sourceOrderCode);
    }
    // The waiting costs few activity attempts: an order's first try, a try per hour at most (the
    // fallback) and the one after the source watch woke it; the watch probes every 30 minutes here.
    const raiseAttempts = (await Promise.all(handles.map((h) => scheduledActivities(h, 'raiseInSource')))).reduce((a, b) => a + b, 0);
    // The watch's runs, newest first, back through continue-as-new (the test server has no visibility list).
    let probes = 0;
    let runId: string | undefined;
    do {
      const run = env.client.workflow.getHandle(`source-watch/${OMNI_CONNECTION_ID}`, runId);
      probes += await scheduledActivities(run, 'probeSource');
      const started = (await run.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
      runId = started?.continuedExecutionRunId ?? undefined;
    } while (runId);
    t.diagnostic(`6 h outage, ${codes.length} orders: ${raiseAttempts} raise attempts, ${probes} probes`);
    assert.ok(raiseAttempts <= codes.length * 10, `${raiseAttempts} raise attempts for ${codes.length} orders`);
    assert.ok(probes <= 6 * 2 + 4, `${probes} probes in 6 h`);
  } finally {
    for (const worker of workers) worker.shutdown();
    await Promise.allSettled(running);
  }
});
