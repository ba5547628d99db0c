/**
 * Orders as Stock2Shop holds them, through the whole engine (webhook delivery, the order's workflow,
 * the source): the real example orders of Stock2Shop's public repositories, and an order with a
 * 2,000-character billing address line, 200 lines, unicode names and a line break inside its
 * shipping address (issue 24 item 6). Omni receives no address, so it is raised there; iSync receives
 * the shipping address, whitespace collapsed. Nothing waits for a person.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import { statusQuery, type OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/orders';
import { realPayloads } from '../fixtures/stock2shop-real';

const REAL_ORDERS = realPayloads('order').map(({ entry, payload }, index) => {
  // One code per order (the share mocks repeat theirs), and no earlier raise; the rest as Stock2Shop holds it.
  const order: Record<string, unknown> = { ...(payload as object), channel_order_code: `REAL-${index + 1}`, sources: [] };
  return { entry, order, code: `REAL-${index + 1}` };
});
const REAL_SKUS = [...new Set(REAL_ORDERS.flatMap(({ order }) => (order.line_items as { sku: string }[]).map((line) => line.sku)))];
const BIG_SKUS = Array.from({ length: 200 }, (_, i) => `BIG-${i}`);
const SKUS = [...REAL_SKUS, ...BIG_SKUS, 'SHIP'];

const names = { first_name: 'Zoë', last_name: 'Nkosi-Ñandú 王小明' };
function bigOrder(code: string): Record<string, unknown> {
  return {
    channel_order_code: code,
    instruction: 'add_order',
    params: { source_customer_code: 'WEB001' },
    customer: { ...names, email: 'zoe@example.co.za' },
    billing_address: { ...names, address1: 'Long Street, '.repeat(160).slice(0, 2000), city: 'Cape Town' },
    shipping_address: { ...names, address1: '12 Loop Street\r\nUnit 4', city: 'Cape Town', zip: '8001' },
    line_items: BIG_SKUS.map((sku) => ({ sku, title: `Ürün ${sku} — 珈琲`, qty: 1, price: 10, tax_lines: [{ rate: 15, price: 1.5 }] })),
  };
}

describe('orders as Stock2Shop sends them, end to end', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: SKUS.map((code) => ({ STOCKCODE: code, DESCRIPTION: `Item ${code}`, EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 1000 })),
      isyncItems: SKUS.map((sku) => ({ JobProductID: sku, SKU: sku, JobDescription: `Item ${sku}`, AvailableUnits: 1000, WebSale: 'Active' })),
    });
    workers = await runBothWorkers(stack);
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  /** The order's state once it has settled: raised, or waiting for a person (with why). */
  async function settled(connectionId: string, code: string): Promise<OrderStatus> {
    const handle = env.client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));
    return waitFor(async () => {
      const status = await handle.query(statusQuery);
      return ['raised', 'needs_attention', 'failed'].includes(status.state) ? status : undefined;
    }, `${code} on ${connectionId} to settle`);
  }

  test('every real example order with a code is raised in Omni Accounts', async () => {
    for (const { order } of REAL_ORDERS) await stack.placeOrder(order, OMNI_CONNECTION_ID);
    for (const { entry, code } of REAL_ORDERS) {
      const status = await settled(OMNI_CONNECTION_ID, code);
      assert.equal(status.state, 'raised', `${entry.repo} ${entry.path}: ${status.reason ?? ''}`);
    }
  });

  test('the 2,000-character billing line, 200 lines and unicode names: raised in Omni, its customer from the order params', async () => {
    await stack.placeOrder(bigOrder('BIG-OMNI-1'), OMNI_CONNECTION_ID);
    const status = await settled(OMNI_CONNECTION_ID, 'BIG-OMNI-1');
    assert.equal(status.state, 'raised', status.reason);
    const document = stack.omni.orders().find((held) => JSON.stringify(held).includes('BIG-OMNI-1'));
    assert.ok(document, 'Omni holds the sales order');
    assert.match(JSON.stringify(document), /"customer_account_code":"WEB001"/);
  });

  test('the same order in iSync: raised, the line break inside the shipping address collapsed', async () => {
    await stack.placeOrder(bigOrder('BIG-ISYNC-1'), ISYNC_CONNECTION_ID);
    const status = await settled(ISYNC_CONNECTION_ID, 'BIG-ISYNC-1');
    assert.equal(status.state, 'raised', status.reason);
    const held = JSON.stringify(stack.isync.orders().find((order) => JSON.stringify(order).includes('BIG-ISYNC-1')));
    assert.match(held, /"Address1":"12 Loop Street Unit 4"/);
    assert.match(held, /"ContactName":"Zoë Nkosi-Ñandú 王小明"/);
  });
});
