/**
 * The promises that earn trust: a worker killed mid-work, a source that goes away, and nothing lost
 * or done twice. Real dev server, workers as their own OS processes where they are killed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { productSync } from '../../workflows';
import { progressQuery, type OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, startStack, withWorkers, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

const CATALOG_SIZE = 1500;
const PAGE_SIZE = 100;

function pushCountsBySku(stack: Stack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of stack.stock2shop.receivedProducts() as { product: { variants: { sku: string } } }[]) {
    counts.set(item.product.variants.sku, (counts.get(item.product.variants.sku) ?? 0) + 1);
  }
  return counts;
}

function activeOrDeletedCodes(stack: Stack): string[] {
  return (stack.omni.catalog() as { STOCKCODE: string; EXTRADTLS8: unknown }[])
    .filter((item) => typeof item.EXTRADTLS8 === 'string' && ['ACTIVE', 'DELETE'].includes(item.EXTRADTLS8.trim().toUpperCase()))
    .map((item) => item.STOCKCODE);
}

describe('killed workers and sources that go away', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: CATALOG_SIZE,
      omniConnection: { pageSize: PAGE_SIZE, requestLimits: { maxConcurrent: 4, perSecond: 20 } },
    });
  });
  after(async () => {
    await stack?.close();
    await env?.teardown();
  });

  test('killing the agent in the middle of a multi-page sync: the sync finishes, every product pushed once but the page in flight', async () => {
    const central = await stack.startCentralWorker();
    await withWorkers([central], async () => {
      await stack.omni.setFaults({ latencyMs: 150 });
      let agent = stack.spawnWorker('agent');
      const handle = await env.client.workflow.start(productSync, {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: 'product-sync/acme-omni/killed',
        args: [{ connectionId: OMNI_CONNECTION_ID }],
      });
      await waitFor(async () => ((await handle.query(progressQuery)).pages >= 4 ? true : undefined), 'four pages synced');
      await agent.kill();
      const pagesAtKill = (await handle.query(progressQuery)).pages;
      assert.ok(pagesAtKill < CATALOG_SIZE / PAGE_SIZE, 'the sync was still under way when the agent died');
      agent = stack.spawnWorker('agent');
      try {
        const summary = await handle.result();
        assert.equal(summary.pages, CATALOG_SIZE / PAGE_SIZE);
        const expected = activeOrDeletedCodes(stack).sort();
        const pushed = pushCountsBySku(stack);
        assert.deepEqual([...pushed.keys()].sort(), expected, 'every ACTIVE and DELETE product arrived');
        // A page whose push reached Stock2Shop just before the kill, but whose record of it did not
        // survive, is pushed again: that page only, never another.
        const twice = [...pushed.entries()].filter(([, n]) => n > 1).map(([sku]) => sku);
        const catalogOrder = (stack.omni.catalog() as { STOCKCODE: string }[]).map((item) => item.STOCKCODE);
        const pagesPushedTwice = new Set(twice.map((sku) => Math.floor(catalogOrder.indexOf(sku) / PAGE_SIZE)));
        process.stdout.write(
          `# products pushed twice: ${twice.length} (the page in flight at the kill), pages: ${[...pagesPushedTwice].join(', ') || 'none'}\n`,
        );
        assert.ok(pagesPushedTwice.size <= 1, `products pushed twice only within the page in flight at the kill: ${twice.join(', ')}`);
        assert.ok(
          twice.every((sku) => pushed.get(sku) === 2),
          'pushed at most twice',
        );
      } finally {
        await stack.omni.clearFaults();
        await agent.kill();
      }
    });
  });

  test('the source going offline during a sync delays it but loses nothing', async () => {
    stack.omni.updateItem(activeOrDeletedCodes(stack)[0]!, { SELLINGPRICE1: 1 });
    const before = stack.stock2shop.receivedProducts().length;
    const workers = [await stack.startCentralWorker(), await stack.startAgentWorker()];
    // Each page answered in 200 ms at least, so the outage lands while the sync still runs.
    await stack.omni.setFaults({ latencyMs: 200 });
    await withWorkers(workers, async () => {
      const handle = await env.client.workflow.start(productSync, {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: 'product-sync/acme-omni/offline',
        args: [{ connectionId: OMNI_CONNECTION_ID, full: true }],
      });
      await waitFor(async () => ((await handle.query(progressQuery)).pages >= 2 ? true : undefined), 'two pages synced');
      await stack.omni.setOffline(true);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const stalledAt = (await handle.query(progressQuery)).pages;
      await stack.omni.setOffline(false);
      await stack.omni.clearFaults();
      const summary = await handle.result();
      assert.ok(stalledAt < CATALOG_SIZE / PAGE_SIZE, 'the outage hit the sync while it ran');
      assert.equal(summary.pages, CATALOG_SIZE / PAGE_SIZE);
      const pushedNow = stack.stock2shop.receivedProducts().slice(before) as { product: { variants: { sku: string } } }[];
      assert.deepEqual(pushedNow.map((p) => p.product.variants.sku).sort(), activeOrDeletedCodes(stack).sort(), 'a full sync pushed each product exactly once');
    });
  });

  test('killing the agent in the middle of a raise leaves exactly one document in the source', async () => {
    const central = await stack.startCentralWorker();
    await withWorkers([central], async () => {
      const code = activeOrDeletedCodes(stack)[1]!;
      await stack.omni.setFaults({ latencyMs: 1500 });
      let agent = stack.spawnWorker('agent');
      const order = makeOrder('WEB-KILL-1', [{ sku: code, qty: 1, price: 10 }]);
      await stack.placeOrder(order);
      await waitFor(async () => (stack.omni.requests().some((r: { path: string }) => /Sales/.test(r.path)) ? true : undefined), 'the raise to reach Omni');
      await agent.kill();
      await stack.omni.clearFaults();
      agent = stack.spawnWorker('agent');
      try {
        const handle = env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-KILL-1'));
        const status = (await handle.result()) as OrderStatus;
        assert.equal(status.state, 'raised');
        assert.equal(stack.omni.orders().filter((d: { reference: string }) => d.reference === 'WEB-KILL-1').length, 1);
      } finally {
        await agent.kill();
      }
    });
  });

  test('Omni refusing connections for 60 s with 50 orders waiting: bounded requests, all raised after its return', async (t) => {
    const workers: Worker[] = [await stack.startCentralWorker(), await stack.startAgentWorker()];
    await withWorkers(workers, async () => {
      const code = activeOrDeletedCodes(stack)[2]!;
      stack.omni.clearRequests();
      await stack.omni.setFaults({ refuseConnections: true });
      const outageStarted = Date.now();
      const orders = Array.from({ length: 50 }, (_, i) => makeOrder(`WEB-OUT-${i + 1}`, [{ sku: code, qty: 1, price: 10 }]));
      for (const order of orders) await stack.placeOrder(order);
      await new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() - outageStarted)));
      const attemptsDuringOutage = stack.omni.requests().filter((r) => r.outcome === 'refused').length;
      await stack.omni.clearFaults();
      const cameBack = Date.now();
      await Promise.all(orders.map((o) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, o.channel_order_code)).result()));
      const allRaisedAfterMs = Date.now() - cameBack;
      // Seconds are measured by bench/ (goal: all raised ≤ 10 s after the return); here only counts are asserted.
      t.diagnostic(`outage: ${attemptsDuringOutage} connection attempts in 60 s; all 50 raised ${allRaisedAfterMs} ms after the return`);
      for (const order of orders) {
        assert.equal(stack.omni.orders().filter((d: { reference: string }) => d.reference === order.channel_order_code).length, 1);
      }
      // One probe every 5 s while down stands in for the orders, which wait in their workflows.
      assert.ok(attemptsDuringOutage > 0, 'the outage was seen');
      assert.ok(attemptsDuringOutage <= 30, `${attemptsDuringOutage} connection attempts in 60 s of outage, for 50 orders`);
    });
  });
});
