import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStock2ShopSimulator, type Stock2ShopSimulator } from '../../simulators';
import { getJson, postJson } from './helpers';

const TOKEN = 'test-token';

function queueItem(sku: string, changes: { source?: object; product?: object; variants?: object } = {}) {
  return {
    source: { source_id: 101, product_active: 'true', source_product_code: sku, sync_token: '1700000000', fetch_token: '', ...changes.source },
    product: {
      title: `Product ${sku}`,
      variants: { source_variant_code: sku, sku, qty: 3, price: 99.5, inventory_management: true, ...changes.variants },
      ...changes.product,
    },
  };
}

function order(code: string, sourceId = 101) {
  return {
    channel_order_code: code,
    instruction: 'add_order',
    customer: { email: 'thandi@example.co.za', first_name: 'Thandi', last_name: 'Nkosi', channel_customer_code: 'C-77' },
    line_items: [{ sku: 'KETTLE-01', title: 'Kettle', qty: 1, price: 304.34, tax_lines: [] }],
    sources: [{ source_id: sourceId }],
  };
}

async function withStock2Shop(options: Parameters<typeof startStock2ShopSimulator>[0], body: (s2s: Stock2ShopSimulator) => Promise<void>) {
  const s2s = await startStock2ShopSimulator({ port: 0, token: TOKEN, ...options });
  try {
    await body(s2s);
  } finally {
    await s2s.close();
  }
}

const api = (s2s: Stock2ShopSimulator, path: string, params: Record<string, string> = {}) =>
  `${s2s.url}${path}?${new URLSearchParams({ token: TOKEN, ...params })}`;

test('a wrong token answers 401 "Invalid token" and is redacted from the log', async () => {
  await withStock2Shop({}, async (s2s) => {
    const wrong = await getJson(`${s2s.url}/queue/summary?token=nope`);
    assert.deepEqual([wrong.status, wrong.body], [401, { errors: 'Invalid token' }]);
    assert.equal(s2s.requests()[0]?.query.token, '***');
  });
});

test('the queue takes valid batches and names the item and field of an invalid one', async () => {
  await withStock2Shop({}, async (s2s) => {
    const queued = await postJson(api(s2s, '/products/queue'), { system_products: [queueItem('A1'), queueItem('A2', { source: { source_id: '101' } })] });
    assert.deepEqual([queued.status, queued.body], [200, { system_products: { queued: 2 } }]);
    assert.equal(s2s.receivedProducts()[1]?.source.source_id, 101, 'a numeric string source_id is held as a number');

    const rejected = async (item: unknown) => {
      const answer = await postJson(api(s2s, '/products/queue'), { system_products: [queueItem('OK'), item] });
      assert.equal(answer.status, 400);
      return answer.body.errors as string;
    };
    assert.equal(await rejected(queueItem('B', { source: { sync_token: undefined } })), 'system_products[1].source.sync_token is required');
    assert.equal(await rejected(queueItem('B', { source: { product_active: true } })), 'system_products[1].source.product_active must be "true" or "false"');
    assert.equal(await rejected(queueItem('B', { product: { title: '' } })), 'system_products[1].product.title is required');
    assert.equal(await rejected(queueItem('B', { variants: { sku: undefined } })), 'system_products[1].product.variants.sku is required');
    assert.equal(await rejected(queueItem('B', { product: { variants: [{ sku: 'B' }] } })), 'system_products[1].product.variants must be one object, not an array');

    const tooMany = await postJson(api(s2s, '/products/queue'), { system_products: Array.from({ length: 1001 }, (_, i) => queueItem(`X${i}`)) });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.errors, /1001 items; at most 1000/);

    assert.equal(s2s.receivedProducts().length, 2, 'a rejected batch queues nothing');
    assert.deepEqual((await getJson(api(s2s, '/queue/summary'))).body, { queue: { received: 2, processed: 2, pending: 0 } });
  });
});

test('orders wait for their source until a source order code or a failure is written back', async () => {
  await withStock2Shop({}, async (s2s) => {
    await s2s.addOrder(order('WEB-1'));
    await s2s.addOrder(order('WEB-2'));
    await s2s.addOrder(order('WEB-3', 202));
    const waiting = async (sourceId: string) =>
      (await getJson(api(s2s, '/orders', { source_id: sourceId, instruction: 'add_order' }))).body.orders.map((o: { channel_order_code: string }) => o.channel_order_code);
    assert.deepEqual(await waiting('101'), ['WEB-1', 'WEB-2']);

    const raised = await postJson(api(s2s, '/orders/WEB-1/source_order_code'), { source_id: 101, source_order_code: 'SO000001' });
    assert.equal(raised.status, 200);
    const failed = await postJson(api(s2s, '/orders/WEB-2/failure'), { source_id: 101, reason: 'Stock code GHOST-99 not found' });
    assert.equal(failed.status, 200);
    assert.deepEqual(await waiting('101'), []);
    assert.deepEqual(await waiting('202'), ['WEB-3']);

    assert.equal(s2s.order('WEB-1').source_order_code, 'SO000001');
    assert.equal(s2s.order('WEB-1').order?.sources?.[0]?.source_order_code, 'SO000001');
    assert.equal(s2s.order('WEB-2').failure_reason, 'Stock code GHOST-99 not found');
    const shown = await getJson(`${s2s.url}/_control/orders/WEB-2`);
    assert.equal(shown.body.order.write_backs[0].value, 'Stock code GHOST-99 not found');
    assert.equal((await postJson(api(s2s, '/orders/WEB-2/failure'), { source_id: 101 })).status, 400);
    assert.throws(() => s2s.addOrder(order('WEB-1')), /already exists/);
  });
});

test('received products and orders survive a restart on the same data directory', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 's2s-sim-'));
  try {
    await withStock2Shop({ dataDir }, async (s2s) => {
      await postJson(api(s2s, '/products/queue'), { system_products: [queueItem('A1'), queueItem('A2')] });
      await postJson(`${s2s.url}/_control/orders`, order('WEB-9'));
      await postJson(api(s2s, '/orders/WEB-9/source_order_code'), { source_id: 101, source_order_code: 'SO-000042' });
    });
    assert.equal(readFileSync(join(dataDir, 'products-queue.jsonl'), 'utf8').trim().split('\n').length, 2);
    await withStock2Shop({ dataDir }, async (s2s) => {
      assert.deepEqual(s2s.receivedProducts().map((item) => item.product.variants.sku), ['A1', 'A2']);
      assert.equal(s2s.order('WEB-9').source_order_code, 'SO-000042');
      await postJson(api(s2s, '/products/queue'), { system_products: [queueItem('A3')] });
      assert.equal((await getJson(api(s2s, '/queue/summary'))).body.queue.received, 3);
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a new order is announced on the webhook, by handle and by control route', async () => {
  const received: unknown[] = [];
  const intake = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      received.push(JSON.parse(text));
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => intake.listen(0, '127.0.0.1', resolve));
  const intakeUrl = `http://127.0.0.1:${(intake.address() as AddressInfo).port}/orders`;
  try {
    await withStock2Shop({ webhookUrl: intakeUrl }, async (s2s) => {
      const delivery = await s2s.addOrder(order('WEB-1'));
      assert.equal(delivery?.status, 202);
      assert.deepEqual(received[0], { instruction: 'add_order', source_id: 101, order: order('WEB-1') });

      s2s.setWebhookUrl(null);
      assert.equal(await s2s.addOrder(order('WEB-2')), null);
      await fetch(`${s2s.url}/_control/webhook`, { method: 'PUT', body: JSON.stringify({ url: intakeUrl }) });
      assert.equal((await postJson(`${s2s.url}/_control/orders`, order('WEB-3'))).status, 201);
      for (let i = 0; i < 50 && received.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(received.map((body) => (body as { order: { channel_order_code: string } }).order.channel_order_code), ['WEB-1', 'WEB-3']);
      assert.equal(s2s.webhookDeliveries().length, 2);
    });
  } finally {
    await new Promise((resolve) => intake.close(resolve));
  }
});

test('a webhook that cannot be reached is recorded, not thrown', async () => {
  await withStock2Shop({ webhookUrl: 'http://127.0.0.1:1/nowhere' }, async (s2s) => {
    const delivery = await s2s.addOrder(order('WEB-1'));
    assert.equal(delivery?.status, null);
    assert.ok(delivery?.error);
    assert.equal(s2s.order('WEB-1').order?.channel_order_code, 'WEB-1');
  });
});
