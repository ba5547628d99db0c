/**
 * The Stock2Shop simulator against the order contract: its answers on each contract path validate against the
 * file's response schemas, and it accepts the file's request examples. The orders it holds are the file's own
 * examples, placed through its control side.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStock2ShopSimulator, type Stock2ShopSimulator } from '../../simulators';
import { assertValid, examplesOf, exampleOf, loadContract, operation, parameterExample, requestExample, responseMedia, type Contract } from './contract-file';

const TOKEN = 'contract-sim-token-0123456789abcdef';

interface Exchange {
  status: number;
  body: unknown;
}

describe('the Stock2Shop simulator against contracts/stock2shop-orders.openapi.yaml', () => {
  let contract: Contract;
  let sim: Stock2ShopSimulator;
  let base: string;

  before(async () => {
    contract = await loadContract();
    sim = await startStock2ShopSimulator({ port: 0, token: TOKEN });
    // The simulator's API base: under /v1 where it serves one, as the contract's server does.
    const served = sim as { apiUrl?: string; url: string };
    base = served.apiUrl ?? served.url;
    const listed = exampleOf(responseMedia(operation(contract, 'listOrdersToRaise'), '200')) as { orders: { channel_order_code: string }[] };
    for (const order of listed.orders) await sim.addOrder(order);
  });
  after(async () => {
    await sim.close();
  });

  /** Calls the simulator on a contract path, the token as the security scheme names it. */
  async function call(method: string, path: string, query: Record<string, unknown>, body?: unknown, token = TOKEN): Promise<Exchange> {
    const search = new URLSearchParams(Object.entries({ ...query, [contract.tokenParameter]: token }).map(([k, v]): [string, string] => [k, String(v)]));
    const response = await fetch(`${base}${path}?${search}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
  }

  /** The answer is one the contract describes for that operation, at that status. */
  function assertAnswer(operationId: string, answer: Exchange, status: number): void {
    assert.equal(answer.status, status, `${operationId}: ${JSON.stringify(answer.body)}`);
    assertValid(contract.api.validateResponse(answer.body, operationId, answer.status), `${operationId} ${answer.status}`);
  }

  const codeOf = (operationId: string) => String(parameterExample(operation(contract, operationId), 'channel_order_code'));
  const sourceId = () => parameterExample(operation(contract, 'listOrdersToRaise'), 'source_id');

  test('the order list answers as the contract says, holding the waiting orders', async () => {
    const list = operation(contract, 'listOrdersToRaise');
    const answer = await call('GET', '/orders', { source_id: sourceId(), instruction: parameterExample(list, 'instruction') });
    assertAnswer('listOrdersToRaise', answer, 200);
    const listed = (answer.body as { orders: { channel_order_code: string }[] }).orders.map((order) => order.channel_order_code);
    const expected = (exampleOf(responseMedia(list, '200')) as { orders: { channel_order_code: string }[] }).orders.map((o) => o.channel_order_code);
    assert.deepEqual(listed, expected);
    assertAnswer('listOrdersToRaise', await call('GET', '/orders', { source_id: 999, instruction: 'add_order' }), 200);
  });

  test('the order read answers the order, and 404 for one it does not hold for that source', async () => {
    const code = codeOf('getOrder');
    const answer = await call('GET', `/orders/${encodeURIComponent(code)}`, { source_id: sourceId() });
    assertAnswer('getOrder', answer, 200);
    assert.equal((answer.body as { order: { channel_order_code: string } }).order.channel_order_code, code);
    assertAnswer('getOrder', await call('GET', '/orders/WEB-9999', { source_id: sourceId() }), 404);
    assertAnswer('getOrder', await call('GET', `/orders/${encodeURIComponent(code)}`, { source_id: 999 }), 404);
  });

  test("every write-back's request examples are accepted, answered as the contract says", async () => {
    for (const operationId of ['writeOrderFailure', 'writeOrderCancelled', 'writeSourceOrderCode']) {
      const op = operation(contract, operationId);
      const media = op.requestBody?.content['application/json'];
      const path = op.path.replace('{channel_order_code}', encodeURIComponent(codeOf(operationId)));
      for (const [name, body] of examplesOf(media)) {
        const answer = await call('POST', path, {}, body);
        assert.ok(answer.status === 200 || answer.status === 204, `${operationId} example ${name}: ${answer.status}`);
        assertAnswer(operationId, answer, answer.status);
      }
    }
    // Raised: the read shows the source order code the example wrote back, still as the contract says.
    const raised = requestExample(operation(contract, 'writeSourceOrderCode')) as { source_id: number; source_order_code: string };
    const read = await call('GET', `/orders/${encodeURIComponent(codeOf('writeSourceOrderCode'))}`, { source_id: raised.source_id });
    assertAnswer('getOrder', read, 200);
    const sources = (read.body as { order: { sources: { source_id: number; source_order_code?: string }[] } }).order.sources;
    assert.equal(sources.find((source) => source.source_id === raised.source_id)?.source_order_code, raised.source_order_code);
  });

  test('a write-back missing its field is refused as the contract says', async () => {
    const path = `/orders/${encodeURIComponent(codeOf('writeOrderFailure'))}/failure`;
    assertAnswer('writeOrderFailure', await call('POST', path, {}, { source_id: sourceId() }), 400);
  });

  test('a wrong token is refused as the contract says', async () => {
    const answer = await call('GET', '/orders', { source_id: sourceId(), instruction: 'add_order' }, undefined, 'not-a-token');
    assertAnswer('listOrdersToRaise', answer, 401);
  });

  test('the validation is not vacuous: answers the contract does not allow fail it', () => {
    const invalid = (operationId: string, body: unknown, status: number) =>
      assert.equal(contract.api.validateResponse(body, operationId, status).valid, false, `${operationId} ${status} ${JSON.stringify(body)}`);
    invalid('listOrdersToRaise', { order: [] }, 200);
    invalid('listOrdersToRaise', { orders: [{ notes: 'no code' }] }, 200);
    invalid('getOrder', { orders: [] }, 200);
    invalid('getOrder', { order: { channel_order_code: 'WEB-1', sources: [{ source_order_code: 'SO1' }] } }, 200);
    invalid('getOrder', { error: 'not found' }, 404);
    invalid('writeOrderFailure', 'ok', 200);
  });

  test('the contract holds the five order calls tested here', () => {
    assert.deepEqual([...contract.operations.values()].map((op) => `${op.method.toUpperCase()} ${op.path}`).sort(), [
      'GET /orders',
      'GET /orders/{channel_order_code}',
      'POST /orders/{channel_order_code}/cancelled',
      'POST /orders/{channel_order_code}/failure',
      'POST /orders/{channel_order_code}/source_order_code',
    ]);
  });
});
