/**
 * The order contract per connection (domain/stock2shop-order-contract.ts, connectors/stock2shop-order-contract.ts):
 * today's names by default, every path and field name of the order side changeable, a wrong one refused naming it.
 * The calls go to a local server that records them and answers in the renamed shapes.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStock2ShopClient, resolveOrderContract, type Stock2ShopOrderContractInput } from '../../connectors';
import { DomainValidationError, parseConnection } from '../../domain';

const TOKEN = 'tok-contract-0123456789abcdef';

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

const connectionInput = (orderContract?: unknown) => ({
  id: 'acme-isync',
  name: 'Acme (iSync)',
  sourceKind: 'isync',
  endpoint: 'http://127.0.0.1:1',
  credentialsRef: { username: 'ACME_USER', password: 'ACME_PASSWORD' },
  stock2shop: { sourceId: 57, credentialsRef: { token: 'ACME_S2S_TOKEN' }, ...(orderContract === undefined ? {} : { orderContract }) },
});

describe('the order contract of a connection', () => {
  let server: Server;
  let endpoint: string;
  const recorded: Recorded[] = [];
  let answer: (request: Recorded) => { status: number; body?: unknown } = () => ({ status: 200, body: {} });

  before(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://recorder');
        const entry = {
          method: request.method ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          body: text ? JSON.parse(text) : undefined,
        };
        recorded.push(entry);
        const { status, body } = answer(entry);
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(body === undefined ? '' : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    recorded.length = 0;
    answer = () => ({ status: 200, body: {} });
  });

  test("without one, today's names: the paths, the query, the keys", () => {
    assert.deepEqual(resolveOrderContract(), {
      paths: {
        list: '/orders',
        read: '/orders/{channel_order_code}',
        sourceOrderCode: '/orders/{channel_order_code}/source_order_code',
        failure: '/orders/{channel_order_code}/failure',
        cancelled: '/orders/{channel_order_code}/cancelled',
      },
      writeBackMethod: 'POST',
      query: { sourceId: 'source_id', instruction: 'instruction' },
      instruction: 'add_order',
      fields: {
        orders: 'orders',
        order: 'order',
        channelOrderCode: 'channel_order_code',
        sourceId: 'source_id',
        sourceOrderCode: 'source_order_code',
        reason: 'reason',
        cancelReason: 'reason',
      },
    });
    assert.equal(parseConnection(connectionInput()).stock2shop.orderContract, undefined);
    // The client's older `paths.orders` still roots the paths a contract does not name.
    assert.equal(resolveOrderContract({ paths: { list: '/queue/orders' } }, '/api/orders/').paths.failure, '/api/orders/{channel_order_code}/failure');
    assert.equal(resolveOrderContract({ paths: { list: '/queue/orders' } }, '/api/orders/').paths.list, '/queue/orders');
  });

  test('every path and field name of the order side follows the contract', async () => {
    const orderContract: Stock2ShopOrderContractInput = {
      paths: {
        list: 'sources/{source_id}/orders/',
        read: '/sources/{source_id}/orders/{channel_order_code}',
        sourceOrderCode: '/sources/{source_id}/orders/{channel_order_code}/raised',
        failure: '/queue/{source_id}/{channel_order_code}/error',
        cancelled: '/queue/{source_id}/{channel_order_code}/skip',
      },
      writeBackMethod: 'PUT',
      query: { sourceId: null, instruction: 'queue_instruction' },
      instruction: 'add_order_v2',
      fields: {
        orders: 'system_orders',
        order: 'system_order',
        channelOrderCode: 'code',
        sourceId: null,
        sourceOrderCode: 'document_number',
        reason: 'message',
        cancelReason: 'skip_reason',
      },
    };
    const connection = parseConnection(connectionInput(orderContract));
    const client = createStock2ShopClient({ endpoint, token: TOKEN, orderContract: connection.stock2shop.orderContract! });
    answer = (request) =>
      request.path.endsWith('/orders')
        ? { status: 200, body: { system_orders: [{ code: 'WEB-1' }, { channel_order_code: 'not-the-key' }] } }
        : request.path.includes('MISSING')
          ? { status: 404, body: { errors: 'not found' } }
          : { status: 200, body: { system_order: { code: 'WEB-1', line_items: [] } } };

    assert.deepEqual(await client.listOrdersToRaise(57), { orders: [{ code: 'WEB-1', raw: { code: 'WEB-1' } }], withoutCode: 1 });
    assert.deepEqual(await client.getOrder('WEB 1/A', 57), { code: 'WEB-1', line_items: [] });
    assert.equal(await client.getOrder('MISSING', 57), null);
    await client.writeSourceOrderCode('WEB-1', 57, 'SO000042');
    await client.writeOrderFailure('WEB-1', 57, 'Stock code A1 not found');
    await client.writeOrderCancelled('WEB-1', 57, 'customer cancelled');

    assert.deepEqual(
      recorded.map(({ method, path, query, body }) => [method, path, { ...query, token: undefined }, body]),
      [
        ['GET', '/v1/sources/57/orders', { queue_instruction: 'add_order_v2', token: undefined }, undefined],
        ['GET', '/v1/sources/57/orders/WEB%201%2FA', { token: undefined }, undefined],
        ['GET', '/v1/sources/57/orders/MISSING', { token: undefined }, undefined],
        ['PUT', '/v1/sources/57/orders/WEB-1/raised', { token: undefined }, { document_number: 'SO000042' }],
        ['PUT', '/v1/queue/57/WEB-1/error', { token: undefined }, { message: 'Stock code A1 not found' }],
        ['PUT', '/v1/queue/57/WEB-1/skip', { token: undefined }, { skip_reason: 'customer cancelled' }],
      ],
    );
    assert.ok(recorded.every((entry) => entry.query.token === TOKEN));
  });

  test("an answer without the contract's key is a malformed answer naming that key", async () => {
    const client = createStock2ShopClient({ endpoint, token: TOKEN, orderContract: { fields: { orders: 'system_orders' } } });
    answer = () => ({ status: 200, body: { orders: [] } });
    await assert.rejects(client.listOrdersToRaise(57), (error: Error & { path?: string }) => error.path === 'system_orders');
  });

  test('a wrong contract is refused as the connection is read, naming the field', () => {
    const refused = (orderContract: unknown, field: string, reason: RegExp) => {
      assert.throws(
        () => parseConnection(connectionInput(orderContract)),
        (error) => error instanceof DomainValidationError && error.field === field && reason.test(error.reason),
        `${JSON.stringify(orderContract)} → ${field}`,
      );
    };
    refused({ paths: { read: '/orders' } }, 'stock2shop.orderContract.paths.read', /\{channel_order_code\} once/);
    refused({ paths: { list: '/orders/{channel_order_code}' } }, 'stock2shop.orderContract.paths.list', /cannot hold/);
    refused({ paths: { failure: '/orders/{code}/failure' } }, 'stock2shop.orderContract.paths.failure', /only the placeholders/);
    refused({ paths: { cancelled: '/orders/{channel_order_code}/../x' } }, 'stock2shop.orderContract.paths.cancelled', /\.\./);
    refused({ paths: { list: '/orders?mine=1' } }, 'stock2shop.orderContract.paths.list', /no query/);
    refused({ fields: { reason: 'the reason' } }, 'stock2shop.orderContract.fields.reason', /without whitespace/);
    refused({ writeBackMethod: 'DELETE' }, 'stock2shop.orderContract.writeBackMethod', /./);
    refused({ fields: { sourceOrderCode: null } }, 'stock2shop.orderContract.fields.sourceOrderCode', /./);
    refused({ field: {} }, 'stock2shop.orderContract', /field/);
  });
});
