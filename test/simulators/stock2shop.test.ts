import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
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
  `${s2s.apiUrl}${path}?${new URLSearchParams({ token: TOKEN, ...params })}`;

test('a wrong token answers 401 "Invalid token" and is redacted from the log', async () => {
  await withStock2Shop({}, async (s2s) => {
    const wrong = await getJson(`${s2s.apiUrl}/queue/summary?token=nope`);
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
    assert.equal(
      await rejected(queueItem('B', { product: { variants: [{ sku: 'B' }] } })),
      'system_products[1].product.variants must be one object, not an array',
    );

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
      (await getJson(api(s2s, '/orders', { source_id: sourceId, instruction: 'add_order' }))).body.orders.map(
        (o: { channel_order_code: string }) => o.channel_order_code,
      );
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
      assert.deepEqual(
        s2s.receivedProducts().map((item) => item.product.variants.sku),
        ['A1', 'A2'],
      );
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
      assert.deepEqual(received[0], { instruction: 'add_order', source_id: 101, channel_order_code: 'WEB-1', order: order('WEB-1') });

      s2s.setWebhookUrl(null);
      assert.equal(await s2s.addOrder(order('WEB-2')), null);
      await fetch(`${s2s.url}/_control/webhook`, { method: 'PUT', body: JSON.stringify({ url: intakeUrl }) });
      assert.equal((await postJson(`${s2s.url}/_control/orders`, order('WEB-3'))).status, 201);
      for (let i = 0; i < 50 && received.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(
        received.map((body) => (body as { order: { channel_order_code: string } }).order.channel_order_code),
        ['WEB-1', 'WEB-3'],
      );
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

/** A webhook intake on a free port that keeps each delivery's headers and raw body. */
async function withIntake(body: (url: string, received: { headers: IncomingHttpHeaders; raw: Buffer }[]) => Promise<void>) {
  const received: { headers: IncomingHttpHeaders; raw: Buffer }[] = [];
  const intake = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, raw: Buffer.concat(chunks) });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => intake.listen(0, '127.0.0.1', resolve));
  try {
    await body(`http://127.0.0.1:${(intake.address() as AddressInfo).port}/webhooks/orders`, received);
  } finally {
    await new Promise((resolve) => intake.close(resolve));
  }
}

/** Checks a delivery the way an intake would: HMAC-SHA256 over "<timestamp>.<raw body>", fresh timestamp. */
function verifies(secret: string, delivery: { headers: IncomingHttpHeaders; raw: Buffer }): boolean {
  const timestamp = delivery.headers['x-stock2shop-timestamp'];
  const given = delivery.headers['x-stock2shop-signature'];
  if (typeof timestamp !== 'string' || typeof given !== 'string' || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 5) return false;
  const expected = `sha256=${createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`${timestamp}.`), delivery.raw]))
    .digest('hex')}`;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

test('with a secret every webhook delivery is signed over its raw body; without one it carries no signature', async () => {
  await withIntake(async (url, received) => {
    await withStock2Shop({ webhookUrl: url, webhookSecret: 'whsec-1' }, async (s2s) => {
      const delivery = await s2s.addOrder({ ...order('WEB-1'), notes: 'Leave at the gate — ring twice ✓' });
      assert.equal(delivery?.status, 200);
      assert.equal(delivery?.signed, true);
      const [signed] = received;
      assert.ok(signed);
      assert.match(String(signed.headers['x-stock2shop-signature']), /^sha256=[0-9a-f]{64}$/);
      assert.ok(verifies('whsec-1', signed), 'the signature verifies with the secret');
      assert.equal(verifies('another-secret', signed), false);
      assert.equal(verifies('whsec-1', { ...signed, raw: Buffer.concat([signed.raw, Buffer.from(' ')]) }), false, 'a changed body does not verify');
      const payload = JSON.parse(signed.raw.toString('utf8'));
      assert.deepEqual(Object.keys(payload), ['instruction', 'source_id', 'channel_order_code', 'order']);
      assert.deepEqual([payload.instruction, payload.source_id, payload.channel_order_code], ['add_order', 101, 'WEB-1']);
      assert.equal(payload.order.notes, 'Leave at the gate — ring twice ✓');

      s2s.setWebhookSecret(null);
      const unsigned = await s2s.addOrder(order('WEB-2'));
      assert.equal(unsigned?.signed, false);
      assert.equal(received[1]?.headers['x-stock2shop-signature'], undefined);
      assert.equal(received[1]?.headers['x-stock2shop-timestamp'], undefined);

      const put = await fetch(`${s2s.url}/_control/webhook`, { method: 'PUT', body: JSON.stringify({ secret: 'whsec-2' }) });
      assert.deepEqual(await put.json(), { url, signed: true });
      await s2s.announce('WEB-2');
      assert.ok(verifies('whsec-2', received[2]!));
      assert.deepEqual(
        s2s.webhookDeliveries().map((d) => [d.channel_order_code, d.signed]),
        [
          ['WEB-1', true],
          ['WEB-2', false],
          ['WEB-2', true],
        ],
      );
    });
    received.length = 0;
    await withStock2Shop({ webhookUrl: url }, async (s2s) => {
      await s2s.addOrder(order('WEB-3'));
      assert.equal(received[0]?.headers['x-stock2shop-signature'], undefined);
      assert.equal(received[0]?.headers['x-stock2shop-timestamp'], undefined);
    });
  });
});

test('GET /orders/:code shows one held order, with its source order code after a write-back', async () => {
  await withStock2Shop({}, async (s2s) => {
    await s2s.addOrder(order('WEB/7'));
    const path = `/orders/${encodeURIComponent('WEB/7')}`;
    const shown = await getJson(api(s2s, path));
    assert.deepEqual([shown.status, shown.body], [200, { order: order('WEB/7') }]);
    assert.deepEqual((await getJson(`${s2s.apiUrl}${path}`)).status, 401);
    assert.deepEqual((await getJson(`${s2s.apiUrl}${path}?token=nope`)).body, { errors: 'Invalid token' });

    const unknown = await getJson(api(s2s, '/orders/GHOST-1'));
    assert.deepEqual([unknown.status, unknown.body], [404, { errors: 'Order GHOST-1 not found' }]);
    assert.equal((await getJson(api(s2s, path, { source_id: '101' }))).status, 200);
    const otherSource = await getJson(api(s2s, path, { source_id: '202' }));
    assert.deepEqual([otherSource.status, otherSource.body], [404, { errors: 'Order WEB/7 not found' }]);

    await postJson(api(s2s, `${path}/source_order_code`), { source_id: 101, source_order_code: 'SO000001' });
    const raised = await getJson(api(s2s, path, { source_id: '101' }));
    assert.deepEqual(raised.body.order.sources, [{ source_id: 101, source_order_code: 'SO000001' }]);

    await postJson(api(s2s, '/orders/NEVER-GIVEN/failure'), { source_id: 101, reason: 'x' });
    assert.equal((await getJson(api(s2s, '/orders/NEVER-GIVEN'))).status, 404, 'a write-back alone is no order');

    const logged = s2s.requests().filter((entry) => entry.path === '/v1/orders/WEB/7' && entry.method === 'GET');
    assert.deepEqual(
      logged.map((entry) => [entry.status, entry.outcome]),
      [
        [200, 'answered'],
        [401, 'unauthorized'],
        [401, 'unauthorized'],
        [200, 'answered'],
        [404, 'answered'],
        [200, 'answered'],
      ],
    );
    await s2s.setFaults({ errorRate: 1, status: 503 });
    const faulted = await getJson(api(s2s, path));
    assert.deepEqual([faulted.status, faulted.body], [503, { errors: 'Injected fault: 503' }]);
    await s2s.clearFaults();
    await s2s.setFaults({ malformed: true });
    assert.deepEqual((await getJson(api(s2s, path))).body, { status: 'ok', data: null });
    assert.deepEqual(
      s2s
        .requests()
        .slice(-2)
        .map((entry) => entry.outcome),
      ['fault:error', 'fault:malformed'],
    );
  });
});

test('a corrected order replaces the held one, clears its failure and is announced again', async () => {
  await withIntake(async (url, received) => {
    await withStock2Shop({ webhookUrl: url }, async (s2s) => {
      await s2s.addOrder(order('WEB-5'));
      await postJson(api(s2s, '/orders/WEB-5/failure'), { source_id: 101, reason: 'Stock code KETTLE-01 not found' });
      const waiting = async () => (await getJson(api(s2s, '/orders', { source_id: '101' }))).body.orders.length;
      assert.equal(await waiting(), 0);

      const corrected = { ...order('WEB-5'), line_items: [{ sku: 'KET-000123', title: 'Kettle', qty: 2, price: 304.34, tax_lines: [] }] };
      const delivery = await s2s.replaceOrder(corrected);
      assert.equal(delivery?.status, 200);
      assert.equal(s2s.order('WEB-5').failure_reason, null);
      assert.equal(s2s.order('WEB-5').write_backs.length, 1, 'the failure stays in the history');
      assert.equal(await waiting(), 1, 'it waits for its source again');
      assert.deepEqual((await getJson(api(s2s, '/orders/WEB-5'))).body.order.line_items[0].sku, 'KET-000123');
      assert.deepEqual(
        received.map((d) => JSON.parse(d.raw.toString()).order.line_items[0].sku),
        ['KETTLE-01', 'KET-000123'],
      );

      const viaControl = await fetch(`${s2s.url}/_control/orders/WEB-5`, { method: 'PUT', body: JSON.stringify({ ...corrected, notes: 'second fix' }) });
      assert.equal(viaControl.status, 200);
      assert.equal(((await viaControl.json()) as { order: { order: { notes: string } } }).order.order.notes, 'second fix');
      for (let i = 0; i < 50 && received.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(JSON.parse(received[2]!.raw.toString()).order.notes, 'second fix');
      assert.equal((await fetch(`${s2s.url}/_control/orders/GHOST`, { method: 'PUT', body: JSON.stringify(order('GHOST')) })).status, 404);
      assert.equal((await fetch(`${s2s.url}/_control/orders/WEB-5`, { method: 'PUT', body: JSON.stringify(order('WEB-6')) })).status, 400);
      assert.throws(() => s2s.replaceOrder(order('GHOST')), /not found/);

      await postJson(api(s2s, '/orders/WEB-5/source_order_code'), { source_id: 101, source_order_code: 'SO000009' });
      await s2s.replaceOrder({ ...corrected, notes: 'after raising' });
      const shown = (await getJson(api(s2s, '/orders/WEB-5'))).body.order;
      assert.deepEqual([shown.notes, shown.sources], ['after raising', [{ source_id: 101, source_order_code: 'SO000009' }]], 'the raised code stays');

      const before = received.length;
      const duplicate = await s2s.announce('WEB-5');
      assert.equal(duplicate?.status, 200);
      assert.equal(received.length, before + 1);
      assert.deepEqual(JSON.parse(received[before]!.raw.toString()), JSON.parse(received[before - 1]!.raw.toString()), 'the same delivery again');
      assert.throws(() => s2s.announce('GHOST'), /holds no order GHOST/);
    });
  });
});

test('any of several tokens authenticates, and the default token only when none is given', async () => {
  await withStock2Shop({ tokens: ['source-101-token', 'source-202-token'] }, async (s2s) => {
    for (const token of [TOKEN, 'source-101-token', 'source-202-token']) {
      assert.equal((await getJson(`${s2s.apiUrl}/queue/summary?token=${token}`)).status, 200, token);
    }
    assert.equal((await getJson(`${s2s.apiUrl}/queue/summary?token=demo-token`)).status, 401);
    assert.equal((await getJson(`${s2s.apiUrl}/queue/summary?token=`)).status, 401);
  });
  const onlyTokens = await startStock2ShopSimulator({ port: 0, tokens: ['only-one'] });
  try {
    assert.equal((await getJson(`${onlyTokens.apiUrl}/queue/summary?token=only-one`)).status, 200);
    assert.equal((await getJson(`${onlyTokens.apiUrl}/queue/summary?token=demo-token`)).status, 401);
  } finally {
    await onlyTokens.close();
  }
});
