import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, fnv1a64, mapOmniStockItem, productContentHash, type Stock2ShopQueueItem } from '../../domain';
import { mappingContext } from './fixtures';

const item: Stock2ShopQueueItem = {
  source: { source_id: 57, product_active: 'true', source_product_code: 'P1', sync_token: 's1', fetch_token: 'f1' },
  product: {
    title: 'Kettle',
    collection: 'Kitchen',
    variants: {
      source_variant_code: 'P1',
      sku: 'P1',
      qty: 4,
      price: 349.99,
      price_tiers: [{ tier: 'Retail', price: 349.99 }],
      inventory_management: true,
    },
  },
};

/** The same item with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, inner]) => [key, reversedKeys(inner)]),
    );
  }
  return value;
}

describe('product content hash', () => {
  test('FNV-1a 64 matches the published test vectors', () => {
    assert.equal(fnv1a64(''), 'cbf29ce484222325');
    assert.equal(fnv1a64('a'), 'af63dc4c8601ec8c');
    assert.equal(fnv1a64('foobar'), '85944171f73967e8');
  });

  test('16 hex digits, deterministic', () => {
    assert.match(productContentHash(item), /^[0-9a-f]{16}$/);
    assert.equal(productContentHash(item), productContentHash(structuredClone(item)));
  });

  test('stable under key reordering', () => {
    const reordered = reversedKeys(item) as Stock2ShopQueueItem;
    assert.notEqual(JSON.stringify(reordered), JSON.stringify(item));
    assert.equal(productContentHash(reordered), productContentHash(item));
  });

  test('changed by a price change', () => {
    const cheaper = structuredClone(item);
    cheaper.product.variants.price = 299.99;
    assert.notEqual(productContentHash(cheaper), productContentHash(item));
  });

  test('changed by a qty change and by product_active', () => {
    const moreStock = structuredClone(item);
    moreStock.product.variants.qty = 5;
    assert.notEqual(productContentHash(moreStock), productContentHash(item));
    const deleted = structuredClone(item);
    deleted.source.product_active = 'false';
    assert.notEqual(productContentHash(deleted), productContentHash(item));
  });

  test('blind to sync_token and fetch_token', () => {
    const nextRun = structuredClone(item);
    nextRun.source.sync_token = 's2';
    nextRun.source.fetch_token = 'f2';
    assert.equal(productContentHash(nextRun), productContentHash(item));
  });

  test('undefined fields do not count (as in JSON)', () => {
    const withUndefined = structuredClone(item);
    withUndefined.product.vendor = undefined;
    assert.equal(productContentHash(withUndefined), productContentHash(item));
  });

  test('non-ASCII text hashes by its UTF-8 bytes', () => {
    assert.notEqual(fnv1a64('Crème brûlée'), fnv1a64('Creme brulee'));
    assert.equal(canonicalJson({ b: 1, a: ['x', { d: null, c: 'é' }] }), '{"a":["x",{"c":"é","d":null}],"b":1}');
  });

  test('an unchanged source record maps to an unchanged hash', () => {
    const record = { STOCKCODE: 'A1', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 3 };
    const first = mapOmniStockItem(record, mappingContext);
    const second = mapOmniStockItem({ ...record }, { ...mappingContext, syncToken: 'later', fetchToken: 'later' });
    assert.ok(first.outcome === 'push' && second.outcome === 'push');
    assert.equal(productContentHash(first.item), productContentHash(second.item));
  });
});
