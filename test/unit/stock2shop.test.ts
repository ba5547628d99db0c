import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DomainValidationError, Stock2ShopOrderSchema, Stock2ShopQueueItemSchema, formatFieldPath, parseStock2ShopOrder } from '../../domain';
import { sampleOrder } from './fixtures';

function errorOf(run: () => unknown): DomainValidationError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DomainValidationError);
    return error;
  }
  assert.fail('expected a DomainValidationError');
}

describe('Stock2Shop order DTO', () => {
  test('a full order parses; optional nulls and numbers-as-text are accepted', () => {
    const order = parseStock2ShopOrder(
      sampleOrder({
        notes: null,
        total_discount: '0.00',
        customer: null,
        line_items: [{ sku: 'A1', title: null, qty: '2', price: '10.50', total_discount: null, barcode: null, grams: null, tax_lines: null }],
        shipping_lines: null,
        sources: null,
        unknown_field: { anything: true },
      }),
    );
    assert.equal(order.line_items[0]?.qty, 2);
    assert.equal(order.line_items[0]?.price, 10.5);
    assert.deepEqual(order.line_items[0]?.tax_lines, []);
    assert.deepEqual(order.shipping_lines, []);
    assert.deepEqual(order.sources, []);
    assert.equal(order.notes, undefined);
  });

  test('a missing sku names the order, the line and the field', () => {
    const error = errorOf(() =>
      parseStock2ShopOrder(
        sampleOrder({
          line_items: [
            { sku: 'A', qty: 1, price: 1 },
            { sku: 'B', qty: 1, price: 1 },
            { qty: 1, price: 1 },
          ],
        }),
      ),
    );
    assert.equal(error.message, 'Order WEB-1001: line_items[2].sku: required');
    assert.deepEqual([error.record, error.field, error.reason], ['WEB-1001', 'line_items[2].sku', 'required']);
    assert.equal(error.name, 'DomainValidationError');
  });

  test('a fractional qty is rejected', () => {
    assert.equal(errorOf(() => parseStock2ShopOrder(sampleOrder({ line_items: [{ sku: 'A', qty: 1.5, price: 1 }] }))).reason, 'must be a whole number');
  });

  test('a negative price is rejected', () => {
    const error = errorOf(() => parseStock2ShopOrder(sampleOrder({ line_items: [{ sku: 'A', qty: 1, price: -5 }] })));
    assert.equal(error.field, 'line_items[0].price');
    assert.match(error.reason, /negative/);
  });

  test('a non-numeric price is rejected', () => {
    const error = errorOf(() => parseStock2ShopOrder(sampleOrder({ line_items: [{ sku: 'A', qty: 1, price: 'free' }] })));
    assert.equal(error.field, 'line_items[0].price');
    assert.match(error.reason, /must be a number/);
  });

  test('no lines → error', () => {
    assert.equal(errorOf(() => parseStock2ShopOrder(sampleOrder({ line_items: [] }))).message, 'Order WEB-1001: line_items: must have at least one line');
  });

  test('no channel_order_code → error', () => {
    const error = errorOf(() => parseStock2ShopOrder(sampleOrder({ channel_order_code: undefined })));
    assert.equal(error.field, 'channel_order_code');
    assert.equal(error.reason, 'required');
  });

  test('the error carries plain details for reports', () => {
    const error = errorOf(() => parseStock2ShopOrder(sampleOrder({ line_items: [{ qty: 1, price: 1 }] })));
    assert.deepEqual(error.toJSON(), {
      recordType: 'Order',
      record: 'WEB-1001',
      field: 'line_items[0].sku',
      reason: 'required',
      message: 'Order WEB-1001: line_items[0].sku: required',
    });
  });

  test('a parsed order parses again to the same value', () => {
    const once = Stock2ShopOrderSchema.parse(sampleOrder());
    assert.deepEqual(Stock2ShopOrderSchema.parse(once), once);
  });

  test('field paths read like JSON paths', () => {
    assert.equal(formatFieldPath(['line_items', 2, 'tax_lines', 0, 'rate']), 'line_items[2].tax_lines[0].rate');
    assert.equal(formatFieldPath([]), '(record)');
  });
});

describe('Stock2Shop queue item', () => {
  const item = {
    source: { source_id: 57, product_active: 'true', source_product_code: 'P1', sync_token: 's', fetch_token: 'f' },
    product: { title: 'T', variants: { source_variant_code: 'V1', sku: 'V1', qty: 0, inventory_management: true } },
  };
  test('the minimum fields are enough', () => assert.equal(Stock2ShopQueueItemSchema.safeParse(item).success, true));
  test('product_active must be the text "true" or "false"', () => {
    assert.equal(Stock2ShopQueueItemSchema.safeParse({ ...item, source: { ...item.source, product_active: true } }).success, false);
  });
  test('qty must be a whole number ≥ 0', () => {
    const withQty = (qty: number) => ({ ...item, product: { ...item.product, variants: { ...item.product.variants, qty } } });
    assert.equal(Stock2ShopQueueItemSchema.safeParse(withQty(-1)).success, false);
    assert.equal(Stock2ShopQueueItemSchema.safeParse(withQty(1.5)).success, false);
  });
  test('variants is ONE object, not a list', () => {
    assert.equal(Stock2ShopQueueItemSchema.safeParse({ ...item, product: { ...item.product, variants: [item.product.variants] } }).success, false);
  });
});
