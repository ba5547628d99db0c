/**
 * The Stock2Shop connector against the order contract: every request it sends on the order side (captured by a
 * local HTTP server standing in for Stock2Shop) validates against the file's request schemas, token included,
 * and it reads the answers the file's examples show. The stand-in answers with those examples only.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthenticationError, createStock2ShopClient, RejectedBySourceError, type Stock2ShopClient } from '../../connectors';
import { API_ROOT, assertValid, exampleOf, loadContract, operation, parameterExample, requestExample, responseMedia, type Contract } from './contract-file';

const TOKEN = 'contract-token-0123456789abcdef';

interface Captured {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[]>;
  body: unknown;
  operationId: string | undefined;
}

/** How the stand-in answers an operation: a status of the contract and its example (none: the first). */
type Answer = { status: string; example?: string };

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

function queryOf(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

describe('the Stock2Shop connector against contracts/stock2shop-orders.openapi.yaml', () => {
  let contract: Contract;
  let server: Server;
  let client: Stock2ShopClient;
  const captured: Captured[] = [];
  const seen = new Set<string | undefined>();
  const answers = new Map<string, Answer>();

  before(async () => {
    contract = await loadContract();
    server = createServer((request, response) => {
      void readBody(request).then((text) => {
        const url = new URL(request.url ?? '/', 'http://stand-in');
        const entry: Captured = {
          method: request.method ?? 'GET',
          path: url.pathname,
          query: queryOf(url.searchParams),
          headers: request.headers as Record<string, string | string[]>,
          body: text === '' ? undefined : (JSON.parse(text) as unknown),
          operationId: undefined,
        };
        const matched = contract.api.matchOperation({ method: entry.method, path: entry.path, headers: entry.headers, query: entry.query });
        entry.operationId = matched?.operationId;
        captured.push(entry);
        seen.add(entry.operationId);
        if (!matched?.operationId) return void response.writeHead(404).end();
        const answer = answers.get(matched.operationId) ?? { status: '200' };
        const media = responseMedia(operation(contract, matched.operationId), answer.status);
        if (!media) return void response.writeHead(Number(answer.status)).end();
        response.writeHead(Number(answer.status), { 'content-type': 'application/json' });
        response.end(JSON.stringify(exampleOf(media, answer.example)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = createStock2ShopClient({ endpoint: `http://127.0.0.1:${port}${API_ROOT}`, token: TOKEN, timeoutMs: 5000 });
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Every order operation of the contract was sent at least once, and nothing else.
    assert.deepEqual(seen, new Set(contract.operations.keys()));
  });
  beforeEach(() => {
    captured.length = 0;
    answers.clear();
  });

  /** The requests captured since the test began, each valid against its operation in the contract. */
  function assertRequestsValid(expected: string[]): Captured[] {
    assert.deepEqual(
      captured.map((entry) => entry.operationId),
      expected,
    );
    for (const entry of captured) {
      assert.equal(entry.query[contract.tokenParameter], TOKEN, `${entry.operationId} carries the token as the security scheme names it`);
      const query = { ...entry.query };
      delete query[contract.tokenParameter];
      assertValid(contract.api.validateRequest({ ...entry, query }, entry.operationId), `${entry.method} ${entry.path}`);
    }
    return [...captured];
  }

  const listOp = () => operation(contract, 'listOrdersToRaise');
  const readOp = () => operation(contract, 'getOrder');
  const sourceId = () => Number(parameterExample(listOp(), 'source_id'));

  test('the order list: the request validates, and every listed order is read as the example shows it', async () => {
    const example = exampleOf(responseMedia(listOp(), '200')) as { orders: { channel_order_code: string }[] };
    const { orders, withoutCode } = await client.listOrdersToRaise(sourceId());
    assert.deepEqual(
      orders.map((order) => order.code),
      example.orders.map((order) => order.channel_order_code),
    );
    assert.deepEqual(
      orders.map((order) => order.raw),
      example.orders,
    );
    assert.equal(withoutCode, 0);
    const [request] = assertRequestsValid(['listOrdersToRaise']);
    assert.equal(request?.query.instruction, parameterExample(listOp(), 'instruction'));
    answers.set('listOrdersToRaise', { status: '200', example: 'none' });
    assert.deepEqual(await client.listOrdersToRaise(sourceId()), { orders: [], withoutCode: 0 });
  });

  test('the order read: the request validates, the example is the order; a 404 is no order', async () => {
    const code = String(parameterExample(readOp(), 'channel_order_code'));
    const example = exampleOf(responseMedia(readOp(), '200')) as { order: unknown };
    assert.deepEqual(await client.getOrder(code, sourceId()), example.order);
    answers.set('getOrder', { status: '404' });
    assert.equal(await client.getOrder('WEB-9999', sourceId()), null);
    // A code that must be encoded is still one path segment of the contract's path.
    answers.delete('getOrder');
    await client.getOrder('WEB 1001/A', sourceId());
    const requests = assertRequestsValid(['getOrder', 'getOrder', 'getOrder']);
    assert.equal(requests[2]?.path, `${API_ROOT}/orders/WEB%201001%2FA`);
  });

  test("the write-backs send the file's request examples, and take its answers (200 with a body, 204 without)", async () => {
    const raised = requestExample(operation(contract, 'writeSourceOrderCode')) as { source_id: number; source_order_code: string };
    const failed = requestExample(operation(contract, 'writeOrderFailure')) as { source_id: number; reason: string };
    const cancelled = requestExample(operation(contract, 'writeOrderCancelled')) as { source_id: number; reason: string };
    const code = String(parameterExample(operation(contract, 'writeSourceOrderCode'), 'channel_order_code'));
    await client.writeSourceOrderCode(code, raised.source_id, raised.source_order_code);
    await client.writeOrderFailure(code, failed.source_id, failed.reason);
    await client.writeOrderCancelled(code, cancelled.source_id, cancelled.reason);
    for (const id of ['writeSourceOrderCode', 'writeOrderFailure', 'writeOrderCancelled']) answers.set(id, { status: '204' });
    await client.writeSourceOrderCode(code, raised.source_id, raised.source_order_code);
    await client.writeOrderFailure(code, failed.source_id, failed.reason);
    await client.writeOrderCancelled(code, cancelled.source_id, cancelled.reason);
    const requests = assertRequestsValid([
      'writeSourceOrderCode',
      'writeOrderFailure',
      'writeOrderCancelled',
      'writeSourceOrderCode',
      'writeOrderFailure',
      'writeOrderCancelled',
    ]);
    assert.deepEqual(
      requests.slice(0, 3).map((request) => request.body),
      [raised, failed, cancelled],
    );
  });

  test('the validation is not vacuous: requests the contract does not allow fail it', () => {
    const invalid = (method: string, path: string, query: Record<string, string>, body?: unknown) =>
      assert.equal(contract.api.validateRequest({ method, path: `${API_ROOT}${path}`, query, headers: {}, body }).valid, false, `${method} ${path}`);
    invalid('GET', '/orders', { source_id: '101' });
    invalid('GET', '/orders', { source_id: '101', instruction: 'cancel_order' });
    invalid('GET', '/orders', { source_id: 'abc', instruction: 'add_order' });
    invalid('GET', '/orders', { source_id: '101', instruction: 'add_order', page: '2' });
    invalid('GET', '/orders/WEB-1001', {});
    invalid('POST', '/orders/WEB-1001/failure', {}, { source_id: 101 });
    invalid('POST', '/orders/WEB-1001/source_order_code', {}, { source_id: 0, source_order_code: 'SO1' });
    invalid('POST', '/orders/WEB-1001/cancelled', {}, { source_id: 101, reason: 'x', cancelled_by: 'ana' });
  });

  test("a refusal the contract names reaches the caller as Stock2Shop's message", async () => {
    answers.set('writeOrderFailure', { status: '400' });
    const refused = exampleOf(responseMedia(operation(contract, 'writeOrderFailure'), '400')) as { errors: string };
    await assert.rejects(client.writeOrderFailure('WEB-1001', sourceId(), 'x'), (error) => {
      assert.ok(error instanceof RejectedBySourceError && error.status === 400);
      assert.equal(error.sourceMessage, refused.errors);
      return true;
    });
    answers.set('listOrdersToRaise', { status: '401' });
    await assert.rejects(client.listOrdersToRaise(sourceId()), AuthenticationError);
    assertRequestsValid(['writeOrderFailure', 'listOrdersToRaise']);
  });
});
