import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import { deliverOrder } from '../../temporal/deliver-order';
import { retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { ChannelOrderCodeKey, ConnectionIdKey, SourceKindKey } from '../../contracts/search-attributes';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, runBothWorkers, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

const omniItems = [
  { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Stainless Kettle 1.7L', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 },
  { STOCKCODE: 'SHIP', DESCRIPTION: 'Courier', EXTRADTLS8: 'IGNORE', SELLINGPRICE1: 0, OAvailable: 0 },
];

describe('order raise on the real dev server', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { omniItems });
    workers = await runBothWorkers(stack);
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  const omni = () => stack.connections.find((c) => c.id === OMNI_CONNECTION_ID)!;
  const handleOf = (code: string, connectionId = OMNI_CONNECTION_ID) => env.client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));
  const documentsFor = (code: string) => stack.omni.orders().filter((d: { reference: string }) => d.reference === code);
  const statusOf = (code: string) => handleOf(code).query(statusQuery);
  const untilState = (code: string, state: OrderStatus['state']) =>
    waitFor(async () => ((await statusOf(code)).state === state ? statusOf(code) : undefined), `order ${code} to be ${state}`);

  test('the same order delivered five times, by webhook and by poll, is raised once', async () => {
    const order = makeOrder('WEB-1001', [{ sku: 'KETTLE-01', qty: 2, price: 304.34 }], { shipping: 60 });
    for (let i = 0; i < 3; i++) await stack.placeOrder(order);
    for (let i = 0; i < 2; i++) {
      await env.client.workflow.execute('pollOrders', {
        taskQueue: 'central',
        workflowId: `order-poll/test-${i}`,
        args: [{ connectionId: OMNI_CONNECTION_ID }],
      });
    }
    const result = (await handleOf('WEB-1001').result()) as OrderStatus;
    assert.equal(result.state, 'raised');
    assert.equal(documentsFor('WEB-1001').length, 1);
    const raised = stack.stock2shop.order('WEB-1001');
    assert.equal(raised.source_order_code, result.sourceOrderCode);
    const document = documentsFor('WEB-1001')[0]!;
    assert.equal(document.customer_account_code, 'CASH001');
    assert.deepEqual(
      document.order_lines.map((l: { stock_code: string; quantity: number }) => [l.stock_code, l.quantity]),
      [
        ['KETTLE-01', 2],
        ['SHIP', 1],
      ],
    );
    // A delivery after the raise completed is refused by the id reuse policy: no second order.
    assert.equal(await deliverOrder(env.client, omni(), 'WEB-1001', { via: 'webhook' }), 'already_raised');
    assert.equal(documentsFor('WEB-1001').length, 1);
    const description = await handleOf('WEB-1001').describe();
    assert.equal(description.typedSearchAttributes.get(ConnectionIdKey), OMNI_CONNECTION_ID);
    assert.equal(description.typedSearchAttributes.get(SourceKindKey), 'omni');
    assert.equal(description.typedSearchAttributes.get(ChannelOrderCodeKey), 'WEB-1001');
  });

  test('a create whose response is lost still leaves exactly one document', async () => {
    await stack.omni.setFaults({ loseCreateResponse: 1 });
    const order = makeOrder('WEB-1002', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]);
    await stack.placeOrder(order);
    const result = (await handleOf('WEB-1002').result()) as OrderStatus;
    assert.equal(result.state, 'raised');
    assert.equal(result.alreadyExisted, true, 'the retry found the document the lost answer created');
    assert.equal(documentsFor('WEB-1002').length, 1);
  });

  test('an unknown SKU waits for a fix, tells Stock2Shop why, and a retry raises it once', async () => {
    const order = makeOrder('WEB-1003', [{ sku: 'GHOST-99', qty: 1, price: 10 }]);
    await stack.placeOrder(order);
    const waiting = await untilState('WEB-1003', 'needs_attention');
    assert.match(waiting.reason ?? '', /GHOST-99 not found/);
    assert.match(stack.stock2shop.order('WEB-1003').failure_reason ?? '', /GHOST-99 not found/);
    assert.equal(documentsFor('WEB-1003').length, 0);

    stack.omni.addItem({ STOCKCODE: 'GHOST-99', DESCRIPTION: 'Found it', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 1 });
    await handleOf('WEB-1003').executeUpdate(retryUpdate);
    const result = (await handleOf('WEB-1003').result()) as OrderStatus;
    assert.equal(result.state, 'raised');
    assert.equal(documentsFor('WEB-1003').length, 1);
    assert.equal(stack.stock2shop.order('WEB-1003').source_order_code, result.sourceOrderCode);
  });

  test('no customer code and no default: the cause is named, and fixing the setting then retrying raises it', async () => {
    const connection = omni();
    const savedDefault = connection.settings.param_default_customer_code;
    connection.settings.param_default_customer_code = undefined;
    try {
      const order = makeOrder('WEB-1004', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]);
      await stack.placeOrder(order);
      const waiting = await untilState('WEB-1004', 'needs_attention');
      assert.match(waiting.reason ?? '', /No default customer code given or source customer code/);
      assert.match(stock2shopFailure('WEB-1004'), /No default customer code given or source customer code/);
      connection.settings.param_default_customer_code = 'CASH001';
      await handleOf('WEB-1004').executeUpdate(retryUpdate);
      assert.equal(((await handleOf('WEB-1004').result()) as OrderStatus).state, 'raised');
      assert.equal(documentsFor('WEB-1004').length, 1);
    } finally {
      connection.settings.param_default_customer_code = savedDefault;
    }
  });

  test('a refused login (401) names the cause; after the fix a retry raises the order once', async () => {
    await stack.omni.setFaults({ authFailure: true });
    const order = makeOrder('WEB-1005', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]);
    await stack.placeOrder(order);
    const waiting = await untilState('WEB-1005', 'needs_attention');
    assert.match(waiting.reason ?? '', /refused the login/);
    assert.doesNotMatch(waiting.reason ?? '', /omni-secret/);
    assert.match(stock2shopFailure('WEB-1005'), /refused the login/);
    await stack.omni.clearFaults();
    await handleOf('WEB-1005').executeUpdate(retryUpdate);
    assert.equal(((await handleOf('WEB-1005').result()) as OrderStatus).state, 'raised');
    assert.equal(documentsFor('WEB-1005').length, 1);
  });

  test('an iSync order is raised with its PONumber, lines and shipping line', async () => {
    const sku = stack.isync.catalog()[0]!.SKU as string;
    const order = makeOrder('WEB-2001', [{ sku, qty: 3, price: 120 }], { shipping: 75 });
    await stack.placeOrder(order, ISYNC_CONNECTION_ID);
    const result = (await handleOf('WEB-2001', ISYNC_CONNECTION_ID).result()) as OrderStatus;
    assert.equal(result.state, 'raised');
    const matching = stack.isync.orders().filter((o) => o.PONumber === 'WEB-2001');
    assert.equal(matching.length, 1);
    const raised = matching[0]!;
    assert.deepEqual(
      raised.Lines.map((l) => [l.ProductStockID, l.Units, l.SellingPrice]),
      [
        [sku, 3, 120],
        ['SHIP', 1, 75],
      ],
    );
    assert.equal(raised.DeliveryDetail?.City, 'Cape Town');
  });

  test('a corrected order announced while it waits for a fix starts the next attempt by itself; an unchanged one does not', async () => {
    const order = makeOrder('WEB-1006', [{ sku: 'NOPE-1', qty: 1, price: 10 }]);
    await stack.placeOrder(order);
    const waiting = await untilState('WEB-1006', 'needs_attention');
    assert.match(waiting.reason ?? '', /NOPE-1 not found/);
    // Announced again unchanged (a duplicate webhook): read again, no new attempt.
    await deliverOrder(env.client, omni(), 'WEB-1006', { via: 'webhook' });
    await waitFor(async () => ((await statusOf('WEB-1006')).deliveries.webhook === 2 ? true : undefined), 'the second delivery');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await statusOf('WEB-1006')).attempts, 1);
    // Corrected in Stock2Shop and announced: the next attempt raises the corrected order.
    void stack.stock2shop.replaceOrder({ ...makeOrder('WEB-1006', [{ sku: 'KETTLE-01', qty: 3, price: 304.34 }]), sources: [{ source_id: 101 }] });
    await deliverOrder(env.client, omni(), 'WEB-1006', { via: 'webhook' });
    const result = (await handleOf('WEB-1006').result()) as OrderStatus;
    assert.equal(result.state, 'raised');
    assert.equal(result.attempts, 2);
    assert.deepEqual(
      documentsFor('WEB-1006')[0]!.order_lines.map((l: { stock_code: string; quantity: number }) => [l.stock_code, l.quantity]),
      [['KETTLE-01', 3]],
    );
  });

  test('an order Stock2Shop shows as raised already is not raised again', async () => {
    void stack.stock2shop.addOrder({
      ...makeOrder('WEB-1007', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]),
      sources: [{ source_id: 101, source_order_code: 'SO-EARLIER' }],
    });
    await deliverOrder(env.client, omni(), 'WEB-1007', { via: 'poll' });
    const result = (await handleOf('WEB-1007').result()) as OrderStatus;
    assert.equal(result.state, 'raised');
    assert.equal(result.sourceOrderCode, 'SO-EARLIER');
    assert.equal(documentsFor('WEB-1007').length, 0);
  });

  test('a retry sent while the failure is still being written back is kept', async () => {
    await stack.placeOrder(makeOrder('WEB-1008', [{ sku: 'LATE-1', qty: 1, price: 10 }]));
    await stack.stock2shop.setFaults({ latencyMs: 2000 });
    try {
      await untilState('WEB-1008', 'needs_attention');
      stack.omni.addItem({ STOCKCODE: 'LATE-1', DESCRIPTION: 'Late', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 1 });
      await handleOf('WEB-1008').executeUpdate(retryUpdate);
      assert.equal(stack.stock2shop.order('WEB-1008').failure_reason, null, 'the retry arrived before the write-back finished');
    } finally {
      await stack.stock2shop.clearFaults();
    }
    const result = await untilState('WEB-1008', 'raised');
    assert.equal(result.attempts, 2);
  });

  function stock2shopFailure(code: string): string {
    return stack.stock2shop.order(code).failure_reason ?? '';
  }
});
