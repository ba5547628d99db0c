import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decideProductLifecycle, mapISyncProduct, mapOmniStockItem, normaliseStockQuantity, parseNumberLike, parsePrice } from '../../domain';
import { mappingContext } from './fixtures';

describe('product-active flag (shared by iSync WebSale and Omni EXTRADTLS8)', () => {
  for (const value of ['ACTIVE', 'active', 'Active', '  aCtIvE  ', '\tACTIVE\n']) {
    test(`${JSON.stringify(value)} → push product_active "true"`, () => {
      assert.deepEqual(decideProductLifecycle(value), { action: 'push', flag: 'ACTIVE', product_active: 'true' });
    });
  }
  for (const value of ['DELETE', 'delete', 'Delete', ' DeLeTe ']) {
    test(`${JSON.stringify(value)} → push product_active "false"`, () => {
      assert.deepEqual(decideProductLifecycle(value), { action: 'push', flag: 'DELETE', product_active: 'false' });
    });
  }
  for (const value of ['IGNORE', 'ignore', 'Ignore', '  IGNORE ']) {
    test(`${JSON.stringify(value)} → ignored, never pushed`, () => {
      assert.deepEqual(decideProductLifecycle(value), { action: 'ignored', flag: 'IGNORE' });
    });
  }
  for (const value of ['', '   ', 'ACTIVATE', 'yes', 'true', undefined, null, 1, true]) {
    test(`${JSON.stringify(value) ?? 'undefined'} → invalid`, () => {
      const decision = decideProductLifecycle(value);
      assert.equal(decision.action, 'invalid');
    });
  }

  test('an IGNORE record is ignored even when its other fields are broken (Omni)', () => {
    const result = mapOmniStockItem({ STOCKCODE: 'IGN-1', EXTRADTLS8: ' ignore ', SELLINGPRICE1: 'n/a' }, mappingContext);
    assert.deepEqual(result, { outcome: 'ignored', code: 'IGN-1', reason: 'EXTRADTLS8 is IGNORE' });
  });

  test('an invalid flag is an invalid outcome naming the code and the field (Omni)', () => {
    const result = mapOmniStockItem({ STOCKCODE: 'BAD-1', DESCRIPTION: 'Thing', EXTRADTLS8: 'Maybe', SELLINGPRICE1: 1, OAvailable: 1 }, mappingContext);
    assert.equal(result.outcome, 'invalid');
    assert.ok(result.outcome === 'invalid');
    assert.equal(result.code, 'BAD-1');
    assert.equal(result.field, 'EXTRADTLS8');
    assert.match(result.reason, /ACTIVE, DELETE, IGNORE/);
    assert.match(result.reason, /"Maybe"/);
  });

  test('an invalid flag is an invalid outcome naming the code and the field (iSync)', () => {
    const result = mapISyncProduct(
      { JobProductID: 'P', SKU: 'BAD-2', JobDescription: 'Thing', AvailableUnits: 1, WebSale: 'Sometimes', PriceLists: [] },
      mappingContext,
    );
    assert.ok(result.outcome === 'invalid');
    assert.equal(result.code, 'BAD-2');
    assert.equal(result.field, 'WebSale');
  });

  test('a missing flag is invalid', () => {
    const result = mapOmniStockItem({ STOCKCODE: 'NOFLAG', DESCRIPTION: 'x', SELLINGPRICE1: 1, OAvailable: 1 }, mappingContext);
    assert.ok(result.outcome === 'invalid');
    assert.equal(result.field, 'EXTRADTLS8');
    assert.match(result.reason, /required/);
  });
});

describe('stock quantities: whole and never negative', () => {
  test('negative → 0', () => assert.equal(normaliseStockQuantity(-5), 0));
  test('zero stays 0', () => assert.equal(normaliseStockQuantity(0), 0));
  test('fraction → rounded down', () => assert.equal(normaliseStockQuantity(7.9), 7));
  test('negative fraction → 0', () => assert.equal(normaliseStockQuantity(-0.5), 0));
  test('whole number unchanged', () => assert.equal(normaliseStockQuantity(42), 42));
});

describe('prices and numbers', () => {
  test('numeric strings are accepted', () => {
    assert.deepEqual(parsePrice('12.50'), { ok: true, value: 12.5 });
    assert.deepEqual(parsePrice(' 99 '), { ok: true, value: 99 });
  });
  test('numbers are accepted', () => assert.deepEqual(parsePrice(0), { ok: true, value: 0 }));
  test('non-numeric strings are rejected', () => {
    for (const value of ['abc', '', 'R12', '1,000', '12.5.1']) {
      const parsed = parsePrice(value);
      assert.equal(parsed.ok, false, `${value} must be rejected`);
    }
  });
  test('negative prices are rejected', () => {
    const parsed = parsePrice(-0.01);
    assert.ok(!parsed.ok);
    assert.match(parsed.reason, /negative/);
  });
  test('NaN, Infinity and booleans are not numbers', () => {
    assert.equal(parseNumberLike(Number.NaN).ok, false);
    assert.equal(parseNumberLike(Number.POSITIVE_INFINITY).ok, false);
    assert.equal(parseNumberLike(true).ok, false);
  });
});
