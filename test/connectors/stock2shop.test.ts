/** The Stock2Shop client against the Stock2Shop simulator, started in-process on a free port (memory only). */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStock2ShopSimulator } from '../../simulators';
import {
  AuthenticationError,
  createStock2ShopClient,
  MalformedAnswerError,
  RejectedBySourceError,
  TransientError,
  type Stock2ShopClientOptions,
} from '../../connectors';
import type { Stock2ShopQueueItem } from '../../domain';
import { assertNoSecrets, rejectsWith } from './helpers';

const TOKEN = 'tok-S2S-0123456789abcdef';
const WRONG_TOKEN = 'tok-wrong-fedcba9876543210';
const SECRETS = [TOKEN, WRONG_TOKEN];
const SOURCE_ID = 57;

function queueItem(code: string, active = true): Stock2ShopQueueItem {
  return {
    source: {
      source_id: SOURCE_ID,
      product_active: active ? 'true' : 'false',
      source_product_code: code,
      sync_token: '1',
      fetch_token: '1',
    },
    product: {
      title: `Product ${code}`,
      variants: { source_variant_code: code, sku: code, qty: 3, price: 99.5, inventory_management: true },
    },
  };
}

function order(code: string, sourceId: number = SOURCE_ID) {
  return {
    channel_order_code: code,
    instruction: 'add_order',
    customer: { email: 'a@b.example', first_name: 'A', last_name: 'B', channel_customer_code: 'C1' },
    line_items: [{ sku: 'A1', title: 'Thing', qty: 2, price: 100, tax_lines: [{ code: 'taxed', price: 30, rate: 15, title: 'VAT' }] }],
    shipping_lines: [{ title: 'Courier', price: 60, tax_lines: [] }],
    sources: [{ source_id: sourceId, source_customer_code: 'CASH001' }],
  };
}

describe('Stock2Shop client', () => {
  let sim: Awaited<ReturnType<typeof startStock2ShopSimulator>>;
  let options: Stock2ShopClientOptions;

  before(async () => {
    sim = await startStock2ShopSimulator({ port: 0, token: TOKEN });
    options = { endpoint: sim.apiUrl, token: TOKEN, timeoutMs: 2000 };
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    await sim.clearFaults();
    sim.clearRequests();
  });

  const s2s = (overrides: Partial<Stock2ShopClientOptions> = {}) => createStock2ShopClient({ ...options, ...overrides });

  test('push products, then the queue summary counts them', async () => {
    const client = s2s();
    const before = (await client.queueSummary()).received;
    const items = Array.from({ length: 250 }, (_, i) => queueItem(`P-${String(i).padStart(4, '0')}`, i % 10 !== 0));
    assert.deepEqual(await client.pushProducts(items), { queued: 250 });
    const received = sim.receivedProducts().slice(-250);
    assert.deepEqual(
      received.map((item) => item.source.source_product_code),
      items.map((item) => item.source.source_product_code),
    );
    assert.equal(received[0]?.source.product_active, 'false');
    const summary = await client.queueSummary();
    assert.equal(summary.received, before + 250);
    assert.equal(summary.pending, 0);
  });

  test('more than 1000 items per push is refused before any call; an empty push calls nothing', async () => {
    const client = s2s();
    const items = Array.from({ length: 1001 }, (_, i) => queueItem(`X-${i}`));
    await assert.rejects(client.pushProducts(items), RangeError);
    assert.deepEqual(await client.pushProducts([]), { queued: 0 });
    assert.equal(sim.requests().length, 0);
    assert.deepEqual(await client.pushProducts(items.slice(0, 1000)), { queued: 1000 });
  });

  test("an item missing a required field → RejectedBySourceError with Stock2Shop's message", async () => {
    const broken = queueItem('BROKEN');
    const item = { ...broken, product: { ...broken.product, title: '' } };
    const error = await rejectsWith(s2s().pushProducts([item]), RejectedBySourceError);
    assert.equal(error.status, 400);
    assert.equal(error.sourceMessage, 'system_products[0].product.title is required');
  });

  test('orders to raise: every listed order by its code, malformed ones too (their workflow reports them)', async () => {
    await sim.addOrder(order('WEB-5001'));
    await sim.addOrder(order('WEB-5002'));
    await sim.addOrder({ ...order('WEB-5003'), line_items: [] });
    await sim.addOrder(order('WEB-OTHER', 99));
    const { orders, withoutCode } = await s2s().listOrdersToRaise(SOURCE_ID);
    assert.deepEqual(
      orders.map((o) => o.code),
      ['WEB-5001', 'WEB-5002', 'WEB-5003'],
    );
    assert.equal((orders[0]?.raw as { line_items: { qty: number }[] }).line_items[0]?.qty, 2);
    assert.equal(withoutCode, 0);
  });

  test('one order read back as Stock2Shop holds it; an unknown code or another source is null', async () => {
    await sim.addOrder(order('WEB-5101'));
    const held = (await s2s().getOrder('WEB-5101', SOURCE_ID)) as { channel_order_code: string };
    assert.equal(held.channel_order_code, 'WEB-5101');
    assert.equal(await s2s().getOrder('WEB-NEVER', SOURCE_ID), null);
    assert.equal(await s2s().getOrder('WEB-5101', 99), null);
  });

  test('write-backs round trip: a source order code, and a failure reason; neither is listed again', async () => {
    const client = s2s();
    await sim.addOrder(order('WEB 6001/A'));
    await sim.addOrder(order('WEB-6002'));
    await client.writeSourceOrderCode('WEB 6001/A', SOURCE_ID, 'SO000042');
    await client.writeOrderFailure('WEB-6002', SOURCE_ID, 'Stock code A1 not found');
    assert.equal(sim.order('WEB 6001/A').source_order_code, 'SO000042');
    assert.equal(sim.order('WEB-6002').failure_reason, 'Stock code A1 not found');
    const { orders } = await client.listOrdersToRaise(SOURCE_ID);
    assert.ok(!orders.some((o) => o.code === 'WEB 6001/A' || o.code === 'WEB-6002'));
  });

  test('wrong token → AuthenticationError, the token never in the error', async () => {
    const error = await rejectsWith(s2s({ token: WRONG_TOKEN }).queueSummary(), AuthenticationError);
    assert.equal(error.system, 'stock2shop');
    assert.match(error.message, /Stock2Shop refused the login of a fixed Stock2Shop token \(401\): Invalid token/);
    assertNoSecrets(error, SECRETS);
  });

  test('offline → TransientError with sourceUnreachable', async () => {
    await sim.setOffline(true);
    const error = await rejectsWith(s2s().pushProducts([queueItem('OFF-1')]), TransientError);
    assert.equal(error.sourceUnreachable, true);
    assertNoSecrets(error, SECRETS);
    await sim.setOffline(false);
    await s2s().queueSummary();
  });

  test('503 → TransientError; 429 with Retry-After → retryAfterMs', async () => {
    await sim.setFaults({ errorRate: 1, status: 503 });
    const unavailable = await rejectsWith(s2s().listOrdersToRaise(SOURCE_ID), TransientError);
    assert.equal(unavailable.status, 503);
    await sim.setFaults({ errorRate: 1, status: 429, retryAfterSeconds: 5 });
    const limited = await rejectsWith(s2s().writeSourceOrderCode('WEB-X', SOURCE_ID, 'SO1'), TransientError);
    assert.equal(limited.retryAfterMs, 5000);
    assertNoSecrets(limited, SECRETS);
  });

  test('malformed body → MalformedAnswerError', async () => {
    await sim.setFaults({ malformed: true });
    const summary = await rejectsWith(s2s().queueSummary(), MalformedAnswerError);
    assert.equal(summary.path, 'queue');
    const list = await rejectsWith(s2s().listOrdersToRaise(SOURCE_ID), MalformedAnswerError);
    assert.equal(list.path, 'orders');
    await sim.setFaults({ malformed: 'text' });
    const push = await rejectsWith(s2s().pushProducts([queueItem('M-1')]), MalformedAnswerError);
    assert.equal(push.path, '(root)');
  });

  test('latency beyond the timeout → TransientError', async () => {
    await sim.setFaults({ latencyMs: 800 });
    const error = await rejectsWith(s2s({ timeoutMs: 200 }).queueSummary(), TransientError);
    assert.equal(error.sourceUnreachable, true);
  });
});
