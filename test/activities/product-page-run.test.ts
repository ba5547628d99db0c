/**
 * Several pages in one activity: the next page is listed while the current one is pushed, the run
 * stops at its page limit, a retried attempt resumes at the first page not done (with the counts of
 * the pages before it), and a failure names the page it happened on and keeps its class.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransientError, type ProductPage, type Stock2ShopClient } from '../../connectors';
import type { Stock2ShopQueueItem } from '../../domain';
import { FileProductStateStore } from '../../store/file-store';
import { resumePointOf, syncProductPageRun, type PageRunDeps } from '../../activities/product-page-run';
import type { SyncProductPagesResult } from '../../contracts/activities';
import { omniConnection } from '../unit/fixtures';

const PAGE_SIZE = 3;
const records = Array.from({ length: 10 }, (_, i) => ({
  STOCKCODE: `ITEM-${String(i + 1).padStart(2, '0')}`,
  DESCRIPTION: `Item ${i + 1}`,
  EXTRADTLS8: 'ACTIVE',
  SELLINGPRICE1: 10 + i,
  OAvailable: 5,
}));

/** A source of 10 records in pages of 3 (cursor: the index of the next record), and a Stock2Shop; both log what they do. */
function fixture(options: { failPushOfPage?: number } = {}) {
  const events: string[] = [];
  const pushedSkus: string[] = [];
  let pushes = 0;
  const listPage = async (cursor: string | null): Promise<ProductPage> => {
    const from = Number(cursor ?? 0);
    const page = from / PAGE_SIZE + 1;
    events.push(`list ${page} start`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    events.push(`list ${page} end`);
    const next = from + PAGE_SIZE;
    return { records: records.slice(from, next), nextCursor: next < records.length ? String(next) : null };
  };
  const stock2shop = {
    async pushProducts(items: Stock2ShopQueueItem[]) {
      pushes += 1;
      const page = pushes;
      events.push(`push ${page} start`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (options.failPushOfPage === page) throw new TransientError('stock2shop', 'pushProducts', 'HTTP 503 from Stock2Shop');
      events.push(`push ${page} end`);
      pushedSkus.push(...items.map((item) => item.product.variants.sku));
      return { queued: items.length };
    },
  } as unknown as Stock2ShopClient;
  const connection = omniConnection();
  const store = new FileProductStateStore(mkdtempSync(join(tmpdir(), 's2s-page-run-')));
  const heartbeats: Record<string, unknown>[] = [];
  const deps: PageRunDeps = { connection, listPage, stock2shop, store, heartbeat: (details) => heartbeats.push(details) };
  const input = { connectionId: connection.id, cursor: null, full: false, passId: 'pass-1', maxPages: 10, firstPage: 1 };
  return { events, pushedSkus, deps, input, heartbeats, store, connection };
}

describe('a run of product pages in one activity', () => {
  test('the next page is listed while the current one is pushed, and the run covers the catalog', async () => {
    const { events, pushedSkus, deps, input } = fixture();
    const result = await syncProductPageRun(input, deps);
    assert.equal(result.pages, 4);
    assert.equal(result.nextCursor, null);
    assert.equal(result.listed, 10);
    assert.equal(result.pushed, 10);
    assert.deepEqual(
      pushedSkus,
      records.map((r) => r.STOCKCODE),
    );
    // Page 2 is being listed before page 1's push is done: the two overlap.
    assert.ok(events.indexOf('list 2 start') < events.indexOf('push 1 end'), events.join(', '));
    // The source never sees two listings at once: each starts after the one before ended.
    for (let page = 2; page <= 4; page += 1) assert.ok(events.indexOf(`list ${page} start`) > events.indexOf(`list ${page - 1} end`), events.join(', '));
  });

  test('a run stops at its page limit and says where the pass goes on', async () => {
    const { deps, input, events } = fixture();
    const result = await syncProductPageRun({ ...input, maxPages: 2 }, deps);
    assert.equal(result.pages, 2);
    assert.equal(result.nextCursor, '6');
    assert.equal(result.listed, 6);
    assert.ok(!events.includes('list 3 start'), 'no page beyond the limit is listed');
  });

  test('a failure names the page it happened on, keeps its class (so it is retried), and the last heartbeat is where a retry resumes', async () => {
    const { deps, input, heartbeats, pushedSkus } = fixture({ failPushOfPage: 3 });
    const error = await syncProductPageRun(input, deps).then(
      () => assert.fail('the run should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TransientError, 'still a transient error: Temporal retries it');
    assert.match(error.message, /^page 3 \(after cursor 6\) failed: .*HTTP 503 from Stock2Shop/);
    const resume = resumePointOf(heartbeats.at(-1));
    assert.deepEqual(resume && { nextCursor: resume.nextCursor, pages: resume.pages, listed: resume.listed, pushed: resume.pushed }, {
      nextCursor: '6',
      pages: 2,
      listed: 6,
      pushed: 6,
    });

    // The retry: from page 3, with the counts of pages 1 and 2; nothing is pushed twice.
    const retry = fixture();
    const result = await syncProductPageRun(input, { ...retry.deps, store: deps.store }, resume);
    assert.deepEqual(
      retry.pushedSkus,
      records.slice(6).map((r) => r.STOCKCODE),
    );
    assert.equal(pushedSkus.length, 6);
    assert.deepEqual(
      { pages: result.pages, listed: result.listed, pushed: result.pushed, nextCursor: result.nextCursor },
      { pages: 4, listed: 10, pushed: 10, nextCursor: null },
    );
  });

  test('a resume point at the end of its pages returns at once; heartbeat details of another shape are ignored', async () => {
    const { deps, input, events } = fixture();
    const finished: SyncProductPagesResult = {
      nextCursor: null,
      pages: 4,
      listed: 10,
      pushed: 10,
      unchanged: 0,
      deleted: 0,
      ignored: 0,
      invalid: 0,
      invalidRecords: [],
    };
    assert.deepEqual(await syncProductPageRun(input, deps, finished), finished);
    assert.deepEqual(events, [], 'nothing listed or pushed again');
    assert.equal(resumePointOf({ cursor: '3', stage: 'listed', records: 3 }), undefined);
    assert.equal(resumePointOf(undefined), undefined);
    assert.equal(resumePointOf({ resume: { ...finished, pages: -1 } }), undefined);
  });
});
