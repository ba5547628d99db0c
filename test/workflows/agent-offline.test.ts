/**
 * The Omni agent's server switched off for six hours (time-skipping server): the orders' tasks wait
 * in the agent's queue, and when it is back each order is raised once and written back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import { deliverOrder } from '../../activities/deliver-order';
import { statusQuery, type OrderStatus } from '../../workflows/definitions';
import { startTimeSkippingServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, startStack, type Stack } from '../helpers/stack';
import { makeOrder } from '../helpers/orders';

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

test('orders wait while the agent is off for 6 hours, then each is raised once and written back', async () => {
  const central = await stack.startCentralWorker();
  const centralRun = central.run();
  try {
    const codes = ['WEB-6H-1', 'WEB-6H-2', 'WEB-6H-3'];
    for (const code of codes) {
      const order = makeOrder(code, [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]);
      stack.stock2shop.addOrder({ ...order, sources: [{ source_id: 101 }] });
      await deliverOrder(env.client, stack.connections[0]!, order, 'webhook');
    }
    const handles = codes.map((code) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)));
    const serverStart = await env.currentTimeMs();
    await env.sleep('6 hours');
    for (const handle of handles) assert.equal((await handle.query(statusQuery)).state, 'raising', 'still waiting for the agent');
    assert.equal(stack.omni.orders().length, 0);

    const agent = await stack.startAgentWorker();
    const results = (await agent.runUntil(Promise.all(handles.map((h) => h.result())))) as OrderStatus[];
    assert.ok((await env.currentTimeMs()) - serverStart >= 6 * 3600_000);
    for (const [i, code] of codes.entries()) {
      assert.equal(results[i]!.state, 'raised');
      assert.equal(stack.omni.orders().filter((d: { reference: string }) => d.reference === code).length, 1);
      assert.equal(stack.stock2shop.order(code).source_order_code, results[i]!.sourceOrderCode);
    }
  } finally {
    central.shutdown();
    await centralRun;
  }
});
