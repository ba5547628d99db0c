/**
 * A batch Stock2Shop refuses as invalid is split until the items it refuses are found: those are
 * reported with Stock2Shop's reason, the rest are pushed and remembered. (Stock2Shop here is a small
 * stand-in that refuses any batch holding one SKU; the real connector is tested against the simulator.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RejectedBySourceError, type Stock2ShopClient } from '../../connectors';
import type { Stock2ShopQueueItem } from '../../domain';
import { FileProductStateStore } from '../../store/file-store';
import { syncOneProductPage } from '../../activities/product-pages';
import { omniConnection } from '../unit/fixtures';

test('a batch refused for one item: that item is reported with the reason, the other 9 are pushed', async () => {
  const records = Array.from({ length: 10 }, (_, i) => ({
    STOCKCODE: i === 6 ? 'REFUSED-7' : `ITEM-${i + 1}`,
    DESCRIPTION: `Item ${i + 1}`,
    EXTRADTLS8: 'ACTIVE',
    SELLINGPRICE1: 10 + i,
    OAvailable: 5,
  }));
  const received: string[] = [];
  let calls = 0;
  const stock2shop = {
    async pushProducts(items: Stock2ShopQueueItem[]) {
      calls += 1;
      if (items.some((item) => item.product.variants.sku === 'REFUSED-7')) {
        throw new RejectedBySourceError('stock2shop', 'pushProducts', 'product.title contains a word Stock2Shop does not allow', { status: 400 });
      }
      received.push(...items.map((item) => item.product.variants.sku));
      return { queued: items.length };
    },
  } as unknown as Stock2ShopClient;
  const connection = omniConnection();
  const store = new FileProductStateStore(mkdtempSync(join(tmpdir(), 's2s-pages-')));

  const result = await syncOneProductPage(
    { connectionId: connection.id, cursor: null, full: false, passId: 'pass-1' },
    { connection, listPage: async () => ({ records, nextCursor: null }), stock2shop, store, heartbeat: () => undefined },
  );
  assert.equal(result.pushed, 9);
  assert.equal(result.invalid, 1);
  assert.deepEqual(result.invalidRecords, [
    { code: 'REFUSED-7', field: '(Stock2Shop)', reason: 'refused by Stock2Shop: product.title contains a word Stock2Shop does not allow' },
  ]);
  assert.deepEqual(
    received.sort(),
    records
      .map((r) => r.STOCKCODE)
      .filter((c) => c !== 'REFUSED-7')
      .sort(),
  );
  assert.ok(calls <= 1 + 2 * Math.ceil(Math.log2(10)) + 1, `${calls} pushes to find one refused item among 10`);
  const remembered = await store.lastPushedHashes(connection.id, ['REFUSED-7', 'ITEM-1']);
  assert.equal(remembered.get('REFUSED-7'), undefined, 'the refused item is not remembered as pushed');
  assert.notEqual(remembered.get('ITEM-1'), undefined);
});
