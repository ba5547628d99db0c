import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  DomainValidationError,
  OmniSalesDocumentSchema,
  OmniStockItemSchema,
  Stock2ShopQueueItemSchema,
  mapOmniStockItem,
  mapOrderToOmniSalesDocument,
  type ProductMappingResult,
  type Stock2ShopQueueItem,
} from '../../domain';
import { SOURCE_ID, mappingContext, omniConnection, sampleOrder } from './fixtures';

/** A stock item with a distinct value in every field. */
const stockItem = {
  STOCKCODE: 'OMNI-STK-001',
  DESCRIPTION: 'Stainless Steel Kettle 1.7L',
  EXTRADTLS8: 'ACTIVE',
  SELLINGPRICE1: 349.99,
  OAvailable: 17,
};

function pushed(result: ProductMappingResult): Stock2ShopQueueItem {
  assert.equal(result.outcome, 'push', JSON.stringify(result));
  assert.ok(result.outcome === 'push');
  return result.item;
}

function expectValidationError(run: () => unknown, field: string, reason: RegExp | string): DomainValidationError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DomainValidationError, `expected DomainValidationError, got ${String(error)}`);
    assert.equal(error.field, field);
    if (typeof reason === 'string') assert.equal(error.reason, reason);
    else assert.match(error.reason, reason);
    return error;
  }
  assert.fail('expected a DomainValidationError');
}

describe('Omni seed table: products (stock item → Stock2Shop)', () => {
  const item = pushed(mapOmniStockItem(stockItem, mappingContext));

  test('STOCKCODE → source_product_code', () => assert.equal(item.source.source_product_code, 'OMNI-STK-001'));
  test('STOCKCODE → source_variant_code', () => assert.equal(item.product.variants.source_variant_code, 'OMNI-STK-001'));
  test('DESCRIPTION → title', () => assert.equal(item.product.title, 'Stainless Steel Kettle 1.7L'));
  test('EXTRADTLS8 → product_active (ACTIVE → "true")', () => assert.equal(item.source.product_active, 'true'));
  test('EXTRADTLS8 → product_active (DELETE → "false")', () => {
    const deleted = pushed(mapOmniStockItem({ ...stockItem, EXTRADTLS8: 'DELETE' }, mappingContext));
    assert.equal(deleted.source.product_active, 'false');
  });
  test('SELLINGPRICE1 → variants.price (retail price)', () => assert.equal(item.product.variants.price, 349.99));
  test('OAvailable → variants.qty', () => assert.equal(item.product.variants.qty, 17));
  test('STOCKCODE → variants.sku', () => assert.equal(item.product.variants.sku, 'OMNI-STK-001'));
  test('true → variants.inventory_management', () => assert.equal(item.product.variants.inventory_management, true));

  test('source carries the Stock2Shop source id and tokens', () => {
    assert.equal(item.source.source_id, SOURCE_ID);
    assert.equal(item.source.sync_token, 'sync-1');
    assert.equal(item.source.fetch_token, 'fetch-1');
  });
  test('the whole item is exactly this, and valid for Stock2Shop', () => {
    assert.deepEqual(item, {
      source: {
        source_id: SOURCE_ID,
        product_active: 'true',
        source_product_code: 'OMNI-STK-001',
        sync_token: 'sync-1',
        fetch_token: 'fetch-1',
      },
      product: {
        title: 'Stainless Steel Kettle 1.7L',
        variants: {
          source_variant_code: 'OMNI-STK-001',
          sku: 'OMNI-STK-001',
          qty: 17,
          price: 349.99,
          inventory_management: true,
        },
      },
    });
    assert.equal(Stock2ShopQueueItemSchema.safeParse(item).success, true);
  });
});

describe('Omni products: edge cases', () => {
  test('negative OAvailable → qty 0', () => {
    assert.equal(pushed(mapOmniStockItem({ ...stockItem, OAvailable: -4 }, mappingContext)).product.variants.qty, 0);
  });
  test('fractional OAvailable → rounded down', () => {
    assert.equal(pushed(mapOmniStockItem({ ...stockItem, OAvailable: 5.75 }, mappingContext)).product.variants.qty, 5);
  });
  test('numeric-string price accepted', () => {
    assert.equal(pushed(mapOmniStockItem({ ...stockItem, SELLINGPRICE1: '12.50' }, mappingContext)).product.variants.price, 12.5);
  });
  test('non-numeric price → invalid naming STOCKCODE and SELLINGPRICE1', () => {
    const result = mapOmniStockItem({ ...stockItem, SELLINGPRICE1: 'twelve' }, mappingContext);
    assert.ok(result.outcome === 'invalid');
    assert.deepEqual([result.code, result.field], ['OMNI-STK-001', 'SELLINGPRICE1']);
  });
  test('negative price → invalid', () => {
    const result = mapOmniStockItem({ ...stockItem, SELLINGPRICE1: -1 }, mappingContext);
    assert.ok(result.outcome === 'invalid');
    assert.equal(result.field, 'SELLINGPRICE1');
    assert.match(result.reason, /negative/);
  });
  test('missing DESCRIPTION → invalid "required"', () => {
    const { DESCRIPTION: _omitted, ...rest } = stockItem;
    const result = mapOmniStockItem(rest, mappingContext);
    assert.ok(result.outcome === 'invalid');
    assert.deepEqual([result.field, result.reason], ['DESCRIPTION', 'required']);
  });
  test('padded codes and descriptions are trimmed', () => {
    const item = pushed(mapOmniStockItem({ ...stockItem, STOCKCODE: 'A1   ', DESCRIPTION: ' Kettle ' }, mappingContext));
    assert.equal(item.product.variants.sku, 'A1');
    assert.equal(item.product.title, 'Kettle');
  });
  test('a bad record does not stop the others', () => {
    const page = [stockItem, { ...stockItem, STOCKCODE: 'B2', OAvailable: 'lots' }, { ...stockItem, STOCKCODE: 'C3', EXTRADTLS8: 'ignore' }, null];
    const outcomes = page.map((record) => mapOmniStockItem(record, mappingContext).outcome);
    assert.deepEqual(outcomes, ['push', 'invalid', 'ignored', 'invalid']);
  });
  test('OmniStockItemSchema parses the wire record', () => {
    assert.equal(OmniStockItemSchema.parse(stockItem).STOCKCODE, 'OMNI-STK-001');
  });
});

describe('Omni seed table: orders (Stock2Shop order → sales document)', () => {
  const connection = omniConnection();
  const document = mapOrderToOmniSalesDocument(sampleOrder(), connection);
  const first = document.order_lines[0];

  test('customer_account_code ← source_customer_code', () => assert.equal(document.customer_account_code, 'CUST-ACC-42'));
  test('warehouse_code ← warehouse_code setting', () => assert.equal(document.warehouse_code, 'WH-7'));
  test('order_lines.stock_code ← line_item.sku', () => assert.equal(first?.stock_code, 'TSHIRT-01-M'));
  test('order_lines.description ← line_item.title', () => assert.equal(first?.description, 'Cotton T-Shirt (M)'));
  test('order_lines.quantity ← line_item.qty', () => assert.equal(first?.quantity, 3));
  test('order_lines.selling_price ← line_item.price', () => assert.equal(first?.selling_price, 173.04));
  test('order_lines.vat_code ← default_tax_code', () => assert.equal(first?.vat_code, '1'));

  test('the whole document is exactly this, and valid for Omni', () => {
    assert.deepEqual(document, {
      customer_account_code: 'CUST-ACC-42',
      warehouse_code: 'WH-7',
      reference: 'WEB-1001',
      order_lines: [
        { stock_code: 'TSHIRT-01-M', description: 'Cotton T-Shirt (M)', quantity: 3, selling_price: 173.04, vat_code: '1' },
        { stock_code: 'MUG-02', description: 'Enamel Mug', quantity: 2, selling_price: 86.95, vat_code: '1' },
      ],
    });
    assert.equal(OmniSalesDocumentSchema.safeParse(document).success, true);
  });
});

describe('Omni orders: settings and rules', () => {
  test('reference is always the channel order code; no document_number by default', () => {
    const document = mapOrderToOmniSalesDocument(sampleOrder(), omniConnection());
    assert.equal(document.reference, 'WEB-1001');
    assert.equal('document_number' in document, false);
  });

  test('param_use_channel_order_code → document_number is the channel order code', () => {
    const document = mapOrderToOmniSalesDocument(sampleOrder(), omniConnection({ param_use_channel_order_code: true }));
    assert.equal(document.document_number, 'WEB-1001');
    assert.equal(document.reference, 'WEB-1001');
  });

  test('param_use_channel_order_code given as "true" text works too', () => {
    const document = mapOrderToOmniSalesDocument(sampleOrder(), omniConnection({ param_use_channel_order_code: 'true' }));
    assert.equal(document.document_number, 'WEB-1001');
  });

  test('rep_code ← param_rep_code', () => {
    assert.equal(mapOrderToOmniSalesDocument(sampleOrder(), omniConnection({ param_rep_code: 'Sam' })).rep_code, 'Sam');
    assert.equal('rep_code' in mapOrderToOmniSalesDocument(sampleOrder(), omniConnection()), false);
  });

  test('customer falls back to param_default_customer_code when the order has no source customer code', () => {
    const order = sampleOrder({ sources: [] });
    const document = mapOrderToOmniSalesDocument(order, omniConnection({ param_default_customer_code: 'CASH001' }));
    assert.equal(document.customer_account_code, 'CASH001');
  });

  test('a sources[] entry of another source is not used', () => {
    const order = sampleOrder({ sources: [{ source_id: 999, source_customer_code: 'OTHER-SOURCE' }] });
    const document = mapOrderToOmniSalesDocument(order, omniConnection({ param_default_customer_code: 'CASH001' }));
    assert.equal(document.customer_account_code, 'CASH001');
  });

  test('source_id given as text matches', () => {
    const order = sampleOrder({ sources: [{ source_id: String(SOURCE_ID), source_customer_code: 'TEXT-ID' }] });
    assert.equal(mapOrderToOmniSalesDocument(order, omniConnection()).customer_account_code, 'TEXT-ID');
  });

  test('the source customer code wins over the default', () => {
    const document = mapOrderToOmniSalesDocument(sampleOrder(), omniConnection({ param_default_customer_code: 'CASH001' }));
    assert.equal(document.customer_account_code, 'CUST-ACC-42');
  });

  test("the customer's channel_customer_code is never used as the account", () => {
    const run = () => mapOrderToOmniSalesDocument(sampleOrder({ sources: [] }), omniConnection());
    expectValidationError(run, 'source_customer_code', 'No default customer code given or source customer code');
  });

  test("no customer code at all → the error carries Stock2Shop's text and names the order", () => {
    const error = expectValidationError(
      () => mapOrderToOmniSalesDocument(sampleOrder({ sources: null }), omniConnection({ param_default_customer_code: '  ' })),
      'source_customer_code',
      'No default customer code given or source customer code',
    );
    assert.equal(error.record, 'WEB-1001');
    assert.equal(error.message, 'Order WEB-1001: source_customer_code: No default customer code given or source customer code');
  });

  test('tax-exempt line (no tax lines) → param_default_tax_code_exempt', () => {
    const order = sampleOrder();
    (order.line_items as Array<Record<string, unknown>>)[1]!.tax_lines = [];
    const document = mapOrderToOmniSalesDocument(order, omniConnection());
    assert.deepEqual(
      document.order_lines.map((line) => line.vat_code),
      ['1', '3'],
    );
  });

  test('tax-exempt line (all rates 0) → param_default_tax_code_exempt', () => {
    const order = sampleOrder();
    (order.line_items as Array<Record<string, unknown>>)[0]!.tax_lines = [{ code: 'VAT', rate: 0, price: 0 }];
    const document = mapOrderToOmniSalesDocument(order, omniConnection());
    assert.deepEqual(
      document.order_lines.map((line) => line.vat_code),
      ['3', '1'],
    );
  });

  test('tax codes default to "0"', () => {
    const connection = omniConnection();
    const defaults = omniConnection({
      param_default_tax_code: undefined,
      param_default_tax_code_exempt: undefined,
      param_default_tax_code_shipping: undefined,
    });
    assert.equal(connection.settings.param_default_tax_code, '1');
    assert.deepEqual(
      [defaults.settings.param_default_tax_code, defaults.settings.param_default_tax_code_exempt, defaults.settings.param_default_tax_code_shipping],
      ['0', '0', '0'],
    );
  });

  test('shipping charge → one more line against param_shipping_code with the shipping tax code', () => {
    const order = sampleOrder({
      shipping_lines: [
        { title: 'Courier', price: 52.17, tax_lines: [{ rate: 15, price: 7.83 }] },
        { title: 'Insurance', price: '8.70', tax_lines: [] },
      ],
    });
    const document = mapOrderToOmniSalesDocument(order, omniConnection({ param_shipping_code: 'SHIP' }));
    assert.equal(document.order_lines.length, 3);
    assert.deepEqual(document.order_lines[2], {
      stock_code: 'SHIP',
      description: 'Courier, Insurance',
      quantity: 1,
      selling_price: 60.87,
      vat_code: '2',
    });
  });

  test('a zero shipping charge adds no line and needs no shipping code', () => {
    const order = sampleOrder({ shipping_lines: [{ title: 'Free shipping', price: 0 }] });
    assert.equal(mapOrderToOmniSalesDocument(order, omniConnection()).order_lines.length, 2);
  });

  test('a shipping charge without param_shipping_code → error naming the setting', () => {
    const order = sampleOrder({ shipping_lines: [{ title: 'Courier', price: 60 }] });
    const error = expectValidationError(() => mapOrderToOmniSalesDocument(order, omniConnection()), 'param_shipping_code', /param_shipping_code/);
    assert.match(error.message, /^Order WEB-1001: param_shipping_code: /);
  });

  test('no param_warehouse_code → error naming the setting', () => {
    expectValidationError(
      () => mapOrderToOmniSalesDocument(sampleOrder(), omniConnection({ param_warehouse_code: undefined })),
      'param_warehouse_code',
      /not set/,
    );
  });

  test('a line with no title is described by its sku', () => {
    const order = sampleOrder({ line_items: [{ sku: 'NO-TITLE', qty: 1, price: 10 }] });
    assert.equal(mapOrderToOmniSalesDocument(order, omniConnection()).order_lines[0]?.description, 'NO-TITLE');
  });

  test('an invalid order line → error naming order, line and field', () => {
    const order = sampleOrder();
    (order.line_items as unknown[]).push({ title: 'No sku', qty: 1, price: 1 });
    const error = expectValidationError(() => mapOrderToOmniSalesDocument(order, omniConnection()), 'line_items[2].sku', 'required');
    assert.equal(error.message, 'Order WEB-1001: line_items[2].sku: required');
  });
});
