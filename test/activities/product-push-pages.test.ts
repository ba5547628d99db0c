/**
 * The page runs of a one-off push (`onlyCodes`, `sync push`): only those records are pushed, whatever
 * their stored hash; nothing is marked seen (no pass reconciles them); the run stops reading once every
 * code was found; a resumed attempt keeps what earlier pages found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProductPage, Stock2ShopClient } from '../../connectors';
import type { Stock2ShopQueueItem } from '../../domain';
import { FileProductStateStore } from '../../store/file-store';
import { resumePointOf, syncProductPageRun, type PageRunDeps } from '../../activities/product-page-run';
import { omniConnection } from '../unit/fixtures';

const PAGE_SIZE = 2;
const records = ['A-1', 'B-2', 'C-3', 'D-4', 'E-5', 'F-6'].map((code, i) => ({
  STOCKCODE: code,
  DESCRIPTION: `Item ${i + 1}`,
  EXTRADTLS8: code === 'D-4' ? 'IGNORE' : code === 'E-5' ? 'DELETE' : 'ACTIVE',
  SELLINGPRICE1: code === 'F-6' ? -1 : 10 + i,
  OAvailable: 5,
}));

function fixture() {
  const listed: (string | null)[] = [];
  const pushed: string[] = [];
  const listPage = async (cursor: string | null): Promise<ProductPage> => {
    listed.push(cursor);
    const from = Number(cursor ?? 0);
    const next = from + PAGE_SIZE;
    return { records: records.slice(from, next), nextCursor: next < records.length ? String(next) : null };
  };
  const stock2shop = {
    async pushProducts(items: Stock2ShopQueueItem[]) {
      pushed.push(...items.map((item) => item.product.variants.sku));
      return { queued: items.length };
    },
  } as unknown as Stock2ShopClient;
  const connection = omniConnection();
  const store = new FileProductStateStore(mkdtempSync(join(tmpdir(), 's2s-push-pages-')));
  const deps: PageRunDeps = { connection, listPage, stock2shop, store, heartbeat: () => undefined };
  const input = { connectionId: connection.id, cursor: null, full: false, passId: 'push-1', maxPages: 10, firstPage: 1 };
  return { listed, pushed, deps, input, store, connection };
}

test('only the codes asked for are pushed, whatever their stored hash, and none is marked seen', async () => {
  const { pushed, deps, input, store, connection } = fixture();
  await syncProductPageRun({ ...input, passId: 'pass-0' }, deps);
  assert.deepEqual(pushed.splice(0), ['A-1', 'B-2', 'C-3', 'E-5']);

  const run = await syncProductPageRun({ ...input, onlyCodes: ['C-3', 'D-4', 'E-5', 'F-6', 'GHOST'] }, deps);
  assert.deepEqual(pushed, ['C-3', 'E-5'], 'unchanged since the pass, pushed again');
  assert.deepEqual(
    [...(run.selected ?? [])].sort((x, y) => x.code.localeCompare(y.code)),
    [
      { code: 'C-3', outcome: 'pushed' },
      { code: 'D-4', outcome: 'ignored' },
      { code: 'E-5', outcome: 'sent_as_deleted' },
      { code: 'F-6', outcome: 'invalid' },
    ],
  );
  assert.deepEqual([run.listed, run.pushed, run.deleted, run.ignored, run.invalid, run.unchanged, run.nextCursor], [6, 1, 1, 1, 1, 0, null]);
  assert.equal(run.invalidRecords[0]?.code, 'F-6');
  const unseen = (await store.unseenInPass(connection.id, 'push-1')).map((p) => p.code).sort();
  assert.deepEqual(unseen, ['A-1', 'B-2', 'C-3', 'E-5'], 'nothing marked seen in the push');
});

test('the run stops once every code was found, where a later activity would go on', async () => {
  const { listed, deps, input } = fixture();
  const run = await syncProductPageRun({ ...input, onlyCodes: ['C-3'] }, deps);
  assert.equal(run.pages, 2);
  assert.equal(run.nextCursor, '4');
  assert.deepEqual(run.selected, [{ code: 'C-3', outcome: 'pushed' }]);
  assert.deepEqual(listed, [null, '2', '4'], 'the page listed ahead is dropped');

  // A retried attempt resumes from its heartbeat: what it found before is kept, and it reads no further.
  const resumed = resumePointOf({ resume: run });
  assert.deepEqual(resumed?.selected, run.selected);
  const again = await syncProductPageRun({ ...input, onlyCodes: ['C-3'] }, deps, resumed);
  assert.deepEqual(again, run);
  assert.equal(listed.length, 3);
});
