/**
 * The corpus of broken and hostile orders: each is refused, naming the right field, without echoing
 * data: by the order schema for every source, or by the mapping of each source that receives the
 * field (and taken by the others). The orders once refused and now taken are mapped by every source.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeliveredOrderCodeSchema,
  DomainValidationError,
  escapeOrderCode,
  mapOrderToISyncOrder,
  mapOrderToOmniSalesDocument,
  parseStock2ShopOrder,
} from '../../domain';
import { ACCEPTED_ORDERS, BAD_ORDERS, BAD_ORDER_BASE, BAD_ORDER_PERSONAL_DATA, type BadOrder, type OrderSource } from '../fixtures/bad-orders';
import { isyncConnection, omniConnection } from './fixtures';

/** The base order's source (101), and the shipping code its courier line needs. */
const stock2shop = { stock2shop: { sourceId: 101, credentialsRef: { token: 'S2S_TOKEN' } } };
const MAPPINGS: Record<OrderSource, (order: unknown) => unknown> = {
  omni: (order) => mapOrderToOmniSalesDocument(order, omniConnection({ param_shipping_code: 'SHIP' }, stock2shop)),
  isync: (order) => mapOrderToISyncOrder(order, isyncConnection({ param_shipping_code: 'SHIP' }, stock2shop)),
};
const SOURCES = Object.keys(MAPPINGS) as OrderSource[];
/** What refuses an entry first: the order schema, or the mapping of the first source it names. */
function refusal(entry: BadOrder): () => unknown {
  const source = entry.refusedBy?.[0];
  return source === undefined ? () => parseStock2ShopOrder(entry.order) : () => MAPPINGS[source](entry.order);
}

const NO_CODE = '(no channel_order_code)';
const PERSONAL_DATA = Object.values(BAD_ORDER_PERSONAL_DATA);

function errorOf(run: () => unknown): DomainValidationError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DomainValidationError, `expected DomainValidationError, got ${String(error).slice(0, 200)}`);
    return error;
  }
  assert.fail('expected a DomainValidationError');
}

/** The code the error must name: the order's own, escaped when the defect is in it, or none when it is no usable code. */
function expectedRecord(entry: { order: unknown; field: string }): string {
  const code = (entry.order as { channel_order_code?: unknown }).channel_order_code;
  if (entry.field !== 'channel_order_code') return code as string;
  const delivered = DeliveredOrderCodeSchema.safeParse(code);
  return delivered.success ? escapeOrderCode(delivered.data) : NO_CODE;
}

/** A message is short, names no value: none of the base order's personal data. */
function assertSafeMessage(error: DomainValidationError): void {
  assert.ok(error.message.length < 300, `message is ${error.message.length} characters long`);
  for (const data of PERSONAL_DATA) {
    assert.ok(!error.message.includes(data), `message ${JSON.stringify(error.message)} contains personal data`);
  }
  assert.doesNotMatch(error.message, /[\u0000-\u001F\u007F]/, 'message contains control characters');
}

describe('bad orders corpus', () => {
  test('the base order parses', () => {
    const order = parseStock2ShopOrder(structuredClone(BAD_ORDER_BASE));
    assert.equal(order.channel_order_code, 'BAD-00');
    assert.equal(order.line_items.length, 2);
    assert.equal(order.customer?.email, BAD_ORDER_PERSONAL_DATA.email);
    assert.equal(order.notes, BAD_ORDER_BASE.notes); // notes may hold line breaks
  });

  test('the corpus is large, every defect has its own code, and no entry is the base itself', () => {
    assert.ok(BAD_ORDERS.length >= 32, `only ${BAD_ORDERS.length} bad orders`);
    const codes = BAD_ORDERS.filter((entry) => entry.field !== 'channel_order_code').map(
      (entry) => (entry.order as { channel_order_code: unknown }).channel_order_code,
    );
    assert.equal(new Set(codes).size, codes.length, 'codes repeat');
    for (const code of codes) assert.match(String(code), /^BAD-\d{2,}$/);
    assert.equal(new Set(BAD_ORDERS.map((entry) => entry.name)).size, BAD_ORDERS.length, 'names repeat');
  });

  for (const entry of BAD_ORDERS) {
    const by = entry.refusedBy ?? [];
    const refusers = by.length === 0 ? 'the order schema' : by.join(' and ');
    test(`refused by ${refusers}: ${entry.name} → ${entry.field}`, () => {
      const refusals = by.length === 0 ? [() => parseStock2ShopOrder(entry.order)] : by.map((source) => () => MAPPINGS[source](entry.order));
      for (const refuse of refusals) {
        const error = errorOf(refuse);
        const record = expectedRecord(entry);
        assert.equal(error.field, entry.field, `wrong field; message: ${error.message.slice(0, 300)}`);
        assert.equal(error.record, record);
        assert.equal(error.recordType, 'Order');
        assert.ok(error.reason.length > 0);
        assert.equal(error.message, `Order ${record}: ${entry.field}: ${error.reason}`);
        assertSafeMessage(error);
      }
      if (by.length > 0) parseStock2ShopOrder(entry.order); // no engine-wide rule refuses it
      for (const source of SOURCES.filter((name) => by.length > 0 && !by.includes(name))) {
        assert.doesNotThrow(() => MAPPINGS[source](entry.order), `${source} does not receive the field: it takes the order`);
      }
    });
  }
});

describe('orders once refused, taken now by every source', () => {
  for (const entry of ACCEPTED_ORDERS) {
    test(`taken: ${entry.name}`, () => {
      for (const source of SOURCES) assert.doesNotThrow(() => MAPPINGS[source](entry.order), source);
    });
  }

  test('whitespace inside an address line iSync receives is collapsed to single spaces', () => {
    const entry = ACCEPTED_ORDERS.find((candidate) => candidate.name === 'shipping address line with a line break and a tab')!;
    const document = MAPPINGS.isync(entry.order) as { DeliveryDetail: { Address1: string } };
    assert.equal(document.DeliveryDetail.Address1, '12 Loop Street Unit 4');
  });
});

describe('reasons name the type or the limit, never the value', () => {
  const reasonFor = (field: string, name: string) => {
    const entry = BAD_ORDERS.find((candidate) => candidate.field === field && candidate.name === name);
    assert.ok(entry, `no bad order "${name}"`);
    return errorOf(refusal(entry)).reason;
  };

  test('length limits', () => {
    assert.equal(reasonFor('line_items[0].sku', 'sku of 10 kB'), 'must be at most 10000 characters');
    assert.equal(reasonFor('line_items[1].sku', 'sku of 101 characters'), 'must be at most 100 characters (Omni order_lines.stock_code)');
    assert.equal(reasonFor('line_items[0].title', 'title of 100 kB'), 'must be at most 10000 characters');
    assert.equal(reasonFor('line_items[1].title', 'title of 501 characters'), 'must be at most 500 characters (Omni order_lines.description)');
    assert.equal(reasonFor('notes', 'notes of 1 MB'), 'must be at most 10000 characters');
    assert.equal(reasonFor('shipping_address.city', 'shipping city of 256 characters'), 'must be at most 255 characters (iSync DeliveryDetail.City)');
    assert.equal(reasonFor('channel_order_code', 'code of 10 kB'), 'must be at most 100 characters');
    assert.equal(reasonFor('line_items', '501 lines (more than 500)'), 'must have at most 500 lines');
    assert.equal(reasonFor('shipping_lines', '51 shipping lines (more than 50)'), 'must have at most 50 lines');
  });

  test('characters, named by code point, where the source cannot take them', () => {
    assert.equal(
      reasonFor('line_items[1].sku', 'sku with a control character (BEL)'),
      'must not contain U+0007, a control character (Omni order_lines.stock_code)',
    );
    assert.equal(
      reasonFor('shipping_address.address1', 'NUL in address line'),
      'must not contain U+0000, which XML cannot carry (iSync DeliveryDetail.Address1)',
    );
    assert.equal(
      reasonFor('line_items[0].title', 'title with a control character'),
      'must not contain U+0001, a control character (Omni order_lines.description)',
    );
    // The order's own code names the character (and the record shows the code escaped: `BAD-\u0000\u001B[31m-99`).
    assert.equal(reasonFor('channel_order_code', 'code with control characters'), 'must not contain U+0000 (a control character)');
  });

  test('numbers', () => {
    assert.equal(reasonFor('line_items[0].price', "price text '1e400' (Infinity)"), 'must be a finite number');
    assert.equal(reasonFor('line_items[1].price', 'price Infinity'), 'must be a finite number');
    assert.equal(reasonFor('line_items[0].price', "price text 'abc'"), 'must be a number (got text)');
    assert.equal(reasonFor('line_items[0].price', 'price negative'), 'must not be negative');
    assert.equal(reasonFor('line_items[0].qty', 'qty fractional 1.5'), 'must be a whole number');
    assert.equal(reasonFor('line_items[0].qty', 'qty negative'), 'must be more than 0');
    assert.equal(reasonFor('line_items[0].qty', 'qty huge 1e30 (more than 1,000,000)'), 'must be at most 1000000');
  });

  test('types and duplicates', () => {
    assert.equal(reasonFor('customer', 'customer not an object (text)'), 'must be an object (got text)');
    assert.equal(reasonFor('line_items', 'line_items not a list (text)'), 'must be a list');
    assert.equal(reasonFor('line_items', 'line_items missing'), 'required');
    assert.equal(reasonFor('line_items', 'line_items empty'), 'must have at least one line');
    assert.equal(reasonFor('line_items[1].sku', 'duplicate line (same sku, other case and spaces)'), 'duplicates line_items[0].sku');
    assert.equal(reasonFor('channel_order_code', 'code missing'), 'required');
    assert.equal(reasonFor('line_items[0].sku', 'sku missing'), 'required');
    assert.equal(reasonFor('channel_order_code', 'code whitespace only'), 'must not be empty');
  });
});

describe('edge cases outside the corpus', () => {
  test('an order that is not an object names the whole record', () => {
    for (const input of [null, undefined, 'BAD-99', 42, [BAD_ORDER_BASE]]) {
      const error = errorOf(() => parseStock2ShopOrder(input));
      assert.equal(error.record, NO_CODE);
      assert.equal(error.field, '(record)');
      assertSafeMessage(error);
    }
  });

  test('what stays lenient: numbers as text, nulls, unknown keys, a numeric code, tab/CR/LF in notes, padded text', () => {
    const order = parseStock2ShopOrder({
      ...structuredClone(BAD_ORDER_BASE),
      channel_order_code: 1001,
      notes: '  Line one\r\n\tLine two  ',
      customer: null,
      unknown_field: 'x'.repeat(100_000),
      line_items: [{ sku: ' KETTLE-01\n', title: null, qty: '2', price: '304.34', tax_lines: null }],
      shipping_lines: null,
    });
    assert.equal(order.channel_order_code, '1001');
    assert.equal(order.notes, 'Line one\r\n\tLine two');
    assert.equal(order.line_items[0]?.sku, 'KETTLE-01');
    assert.equal(order.line_items[0]?.qty, 2);
    assert.deepEqual(order.shipping_lines, []);
  });

  test('the limits themselves are allowed', () => {
    const base = structuredClone(BAD_ORDER_BASE) as unknown as Record<string, unknown>;
    const order = parseStock2ShopOrder({
      ...base,
      channel_order_code: 'C'.repeat(100),
      notes: 'n'.repeat(5000),
      line_items: Array.from({ length: 500 }, (_, i) => ({ sku: `SKU-${i}`, title: 'T'.repeat(500), qty: 1_000_000, price: 0 })),
      shipping_lines: Array.from({ length: 50 }, () => ({ title: 'Courier', price: 0 })),
      customer: { email: 'e'.repeat(255), first_name: 'F'.repeat(255) },
    });
    assert.equal(order.line_items.length, 500);
    assert.equal(order.shipping_lines.length, 50);
  });

  test('a validation message of a huge order stays short and fast', () => {
    const started = Date.now();
    const error = errorOf(() =>
      parseStock2ShopOrder({
        ...structuredClone(BAD_ORDER_BASE),
        channel_order_code: 'BAD-99',
        line_items: new Array(1_000_000).fill({ sku: 'X', qty: 1, price: 1 }),
      }),
    );
    assert.equal(error.message, 'Order BAD-99: line_items: must have at most 500 lines');
    assert.ok(Date.now() - started < 2000);
  });
});
