/**
 * The real example orders of Stock2Shop's public repositories (test/fixtures/stock2shop-real, each
 * naming its repository, path and commit): each with a code parses and maps to an Omni sales document
 * and an iSync order; Stock2Shop's empty DTO (no code) is refused naming the field; the channel's
 * `params` and `meta` are kept where a mapping reads them, and every field the engine does not read is
 * counted, by name, in the order's summary.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DomainValidationError,
  ISyncOrderSchema,
  OmniSalesDocumentSchema,
  Stock2ShopOrderSchema,
  mapOrderToISyncOrder,
  mapOrderToOmniSalesDocument,
  parseStock2ShopOrder,
  unknownOrderFields,
} from '../../domain';
import { prepareOrderFor } from '../../activities/prepare-order';
import type { Stock2ShopClient } from '../../connectors';
import { loadRealPayload, realPayloads, REAL_PAYLOADS } from '../fixtures/stock2shop-real';
import { isyncConnection, omniConnection } from './fixtures';

/** A connection as Stock2Shop's defaults would have it: a default customer, a shipping item. */
const settings = { param_default_customer_code: 'CASH001', param_shipping_code: 'SHIP' };
const omni = omniConnection(settings);
const isync = isyncConnection(settings);
const REAL_ORDERS = realPayloads('order');
const payloadOf = (file: string) => loadRealPayload(REAL_PAYLOADS.find((entry) => entry.file === file)!) as Record<string, unknown>;

function errorOf(run: () => unknown): DomainValidationError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DomainValidationError, String(error));
    return error;
  }
  assert.fail('expected a DomainValidationError');
}

describe('the real example orders', () => {
  test('the fixtures are there: five orders with a code, two without', () => {
    assert.equal(REAL_ORDERS.length, 5);
    assert.equal(realPayloads('order-without-code').length, 2);
    for (const entry of REAL_PAYLOADS) assert.match(entry.commit, /^[0-9a-f]{40}$/, entry.file);
  });

  for (const { entry, payload } of REAL_ORDERS) {
    test(`${entry.repo} ${entry.path} (${entry.file}): parses, and maps to Omni and to iSync`, () => {
      assert.ok(Stock2ShopOrderSchema.safeParse(payload).success);
      const order = parseStock2ShopOrder(payload);
      const lines = (payload as { line_items: unknown[] }).line_items.length;
      const omniDocument = OmniSalesDocumentSchema.parse(mapOrderToOmniSalesDocument(payload, omni));
      const isyncOrder = ISyncOrderSchema.parse(mapOrderToISyncOrder(payload, isync));
      const shipping = order.shipping_lines.some((line) => line.price > 0) ? 1 : 0;
      assert.equal(omniDocument.order_lines.length, lines + shipping);
      assert.equal(isyncOrder.Lines.length, lines + shipping);
      assert.equal(omniDocument.reference, order.channel_order_code);
      assert.equal(isyncOrder.PONumber, order.channel_order_code);
      assert.deepEqual(
        omniDocument.order_lines.slice(0, lines).map((line) => line.stock_code),
        order.line_items.map((line) => line.sku),
      );
    });
  }

  test("the share mock's prices and shipping reach both sources as Stock2Shop holds them", () => {
    const document = mapOrderToOmniSalesDocument(payloadOf('share-mocks-ChannelOrder.json'), omni);
    assert.deepEqual(document.order_lines, [
      { stock_code: 'sku-1', description: 'title-1', quantity: 1, selling_price: 35000, vat_code: '1' },
      { stock_code: 'SHIP', description: 'Next Day', quantity: 1, selling_price: 100, vat_code: '2' },
    ]);
    assert.equal(document.customer_account_code, 'CASH001');
    const order = mapOrderToISyncOrder(payloadOf('share-mocks-ChannelOrder.json'), isync);
    assert.deepEqual(order.DeliveryDetail, {
      ContactName: 'first_name-1 last_name-1',
      Company: 'company-1',
      Address1: 'address1-1',
      Address2: 'address2-1',
      City: 'city-1',
      Province: 'province-1',
      PostalCode: 'zip-1',
      Country: 'country-1',
      Phone: 'phone-1',
    });
  });

  test("the connector's order (shipping line of null price and title, null tax codes) raises two lines, no shipping", () => {
    const document = mapOrderToOmniSalesDocument(payloadOf('connector-data-orderDTO1.json'), omni);
    assert.deepEqual(
      document.order_lines.map((line) => [line.stock_code, line.quantity, line.selling_price]),
      [
        ['111111111', 1, 200],
        ['222222222', 2, 270],
      ],
    );
  });

  test("a system order's sources[] entry is its customer account, for the source it names", () => {
    const payload = payloadOf('share-mocks-SystemOrder.json');
    const forSource1 = omniConnection(settings, { stock2shop: { sourceId: 1, credentialsRef: { token: 'S2S_TOKEN' } } });
    assert.equal(mapOrderToOmniSalesDocument(payload, forSource1).customer_account_code, 'source_customer_code-1');
    assert.equal(mapOrderToOmniSalesDocument(payload, omni).customer_account_code, 'CASH001', 'another source: the default');
  });

  for (const { entry, payload } of realPayloads('order-without-code')) {
    test(`${entry.repo} ${entry.path} (no code) is refused naming channel_order_code`, () => {
      for (const run of [() => parseStock2ShopOrder(payload), () => mapOrderToOmniSalesDocument(payload, omni), () => mapOrderToISyncOrder(payload, isync)]) {
        const error = errorOf(run);
        assert.equal(error.message, 'Order (no channel_order_code): channel_order_code: required');
      }
    });
  }
});

describe("the channel's params and meta", () => {
  test('are kept as key and value text', () => {
    const order = parseStock2ShopOrder(payloadOf('share-ChannelOrderTest-json.json'));
    assert.deepEqual(order.params, { 'key-1': 'value-1', 'key-2': 'value-2' });
    assert.deepEqual(order.meta, [{ key: 'key', value: 'value' }]);
    assert.deepEqual(parseStock2ShopOrder(payloadOf('connector-data-orderDTO1.json')).params, {}, 'PHP sends an empty params as []');
  });

  test("a source_customer_code in params (or meta) is the customer account when Stock2Shop's sources[] has none", () => {
    const base = payloadOf('share-mocks-ChannelOrder.json');
    const byParams = { ...base, params: { ...(base.params as object), source_customer_code: 'WEB001' } };
    const byMeta = { ...base, meta: [...(base.meta as object[]), { key: 'source_customer_code', value: 'TRADE001' }] };
    assert.equal(mapOrderToOmniSalesDocument(byParams, omni).customer_account_code, 'WEB001');
    assert.equal(mapOrderToOmniSalesDocument(byMeta, omni).customer_account_code, 'TRADE001');
    assert.equal(mapOrderToISyncOrder(byParams, isync).CustomerCode, 'WEB001');
    const withSource = { ...byParams, sources: [{ source_id: 57, source_customer_code: 'CUST-ACC-42' }] };
    assert.equal(mapOrderToOmniSalesDocument(withSource, omni).customer_account_code, 'CUST-ACC-42', "Stock2Shop's own record wins");
  });

  test("a warehouse_code the channel sends is Omni's warehouse only when the connection sets none", () => {
    const base = { ...payloadOf('share-mocks-ChannelOrder.json'), params: { warehouse_code: '2' } };
    assert.equal(mapOrderToOmniSalesDocument(base, omni).warehouse_code, 'WH-7');
    const unset = omniConnection({ ...settings, param_warehouse_code: undefined });
    assert.equal(mapOrderToOmniSalesDocument(base, unset).warehouse_code, '2');
  });

  test('a value the source receives is held to its rule, naming where it came from', () => {
    const order = { ...payloadOf('share-mocks-ChannelOrder.json'), meta: [{ key: 'source_customer_code', value: 'C'.repeat(101) }] };
    const error = errorOf(() => mapOrderToOmniSalesDocument(order, omni));
    assert.equal(error.message, 'Order channel_order_code-1: meta[0].value: must be at most 100 characters (Omni customer_account_code)');
  });
});

describe('fields not used are counted in the summary, by name only', () => {
  const stock2shopHolding = (order: unknown) => ({ getOrder: async () => order }) as unknown as Stock2ShopClient;
  const summaryOf = async (file: string) => {
    const payload = payloadOf(file);
    const prepared = await prepareOrderFor(omni, { connectionId: omni.id, channelOrderCode: String(payload.channel_order_code) }, stock2shopHolding(payload));
    assert.equal(prepared.outcome, 'ready', JSON.stringify(prepared));
    return (prepared as { summary?: string }).summary;
  };

  test("a channel order: Stock2Shop's channel_id, the customer's accepts_marketing, the meta and params no mapping reads", async () => {
    assert.equal(
      await summaryOf('share-mocks-ChannelOrder.json'),
      '1 line; 4 fields not used: channel_id, customer.accepts_marketing, meta.key-1, params.param-1',
    );
  });

  test('never a value (the values of the mock differ from their keys)', async () => {
    const summary = (await summaryOf('share-ChannelOrderTest-json.json'))!;
    assert.equal(summary, '1 line; 5 fields not used: channel_id, customer.accepts_marketing, meta.key, params.key-1, params.key-2');
    for (const value of ['value-1', 'value-2', '"value"', 'first_name', 'email']) assert.ok(!summary.includes(value), value);
  });

  test('a system order: 75 names, each once (a field of every line counted once), the first ten shown', async () => {
    const names = unknownOrderFields(payloadOf('share-mocks-SystemOrder.json'));
    assert.equal(names.length, 75);
    assert.ok(names.includes('line_items[].fulfillments') && names.includes('history') && names.includes('customer.addresses'));
    assert.match((await summaryOf('share-mocks-SystemOrder.json'))!, /^2 lines; 75 fields not used: id, created, modified, .*, and 65 more$/);
  });

  test('an order of known fields only says so', () => {
    assert.deepEqual(
      unknownOrderFields({ channel_order_code: 'A', line_items: [{ sku: 'A', qty: 1, price: 1 }], meta: [{ key: 'source_customer_code', value: 'X' }] }),
      [],
    );
  });

  test('a key is shown printable and short', () => {
    const names = unknownOrderFields({ channel_order_code: 'A', line_items: [{ sku: 'A', qty: 1, price: 1 }], ['evil\u001b[2J\u202e' + 'k'.repeat(80)]: 1 });
    assert.deepEqual(names, [`evil?[2J?${'k'.repeat(31)}…`]);
  });
});
