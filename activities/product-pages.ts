/**
 * One page of a product sync: map and validate each record, drop IGNORE, push what changed since
 * its last push in batches of up to 1,000, then remember what was pushed.
 *
 * The store is written right after each batch's answer, so a retried attempt (a worker that died,
 * a lost heartbeat) skips what the previous attempt already pushed. The one window left is a crash
 * between Stock2Shop's answer and that write: the batch is then pushed again with the same content,
 * which Stock2Shop applies as a no-op update.
 */
import type { Connection } from '../domain';
import { productContentHash } from '../domain';
import { SOURCE_MAPPINGS } from '../domain/sources';
import type { Stock2ShopQueueItem } from '../domain/stock2shop';
import type { ProductPage, Stock2ShopClient } from '../connectors';
import { STOCK2SHOP_MAX_PUSH } from '../connectors';
import type { SyncProductPageInput, SyncProductPageResult } from './contracts';
import type { ProductStateStore, PushedProduct } from './product-state-store';

export interface ProductPageDeps {
  connection: Connection;
  listPage: () => Promise<ProductPage>;
  stock2shop: Stock2ShopClient;
  store: ProductStateStore;
  heartbeat: (details: Record<string, unknown>) => void;
}

export async function syncOneProductPage(input: SyncProductPageInput, deps: ProductPageDeps): Promise<SyncProductPageResult> {
  const { connection, store } = deps;
  const page = await deps.listPage();
  deps.heartbeat({ cursor: input.cursor, stage: 'listed', records: page.records.length });

  const mapping = SOURCE_MAPPINGS[connection.sourceKind];
  const context = { sourceId: connection.stock2shop.sourceId, syncToken: String(Date.now()), fetchToken: input.cursor ?? '' };
  const result: SyncProductPageResult = {
    nextCursor: page.nextCursor,
    listed: page.records.length,
    pushed: 0,
    unchanged: 0,
    deleted: 0,
    ignored: 0,
    invalid: 0,
    invalidRecords: [],
  };
  const changed: { item: Stock2ShopQueueItem; pushed: PushedProduct }[] = [];
  const seen: string[] = [];

  for (const record of page.records) {
    const mapped = mapping.mapProduct(record, context);
    seen.push(mapped.code);
    if (mapped.outcome === 'ignored') {
      result.ignored += 1;
      continue;
    }
    if (mapped.outcome === 'invalid') {
      result.invalid += 1;
      result.invalidRecords.push({ code: mapped.code, field: mapped.field, reason: mapped.reason });
      continue;
    }
    const hash = productContentHash(mapped.item);
    if (!input.full && store.lastPushedHash(connection.id, mapped.code) === hash) {
      result.unchanged += 1;
      continue;
    }
    changed.push({
      item: mapped.item,
      pushed: { code: mapped.code, hash, productCode: mapped.item.source.source_product_code, title: mapped.item.product.title },
    });
  }

  for (let start = 0; start < changed.length; start += STOCK2SHOP_MAX_PUSH) {
    const batch = changed.slice(start, start + STOCK2SHOP_MAX_PUSH);
    await deps.stock2shop.pushProducts(batch.map((c) => c.item));
    store.recordPushed(connection.id, batch.map((c) => c.pushed));
    for (const { item } of batch) {
      if (item.source.product_active === 'false') result.deleted += 1;
      else result.pushed += 1;
    }
    deps.heartbeat({ cursor: input.cursor, stage: 'pushed', pushed: start + batch.length, of: changed.length });
  }
  store.markSeen(connection.id, input.passId, seen);
  return result;
}

/** Sends products that left the source as inactive, for connections that ask for it. */
export async function deactivateRemovedProducts(
  connection: Connection,
  removed: PushedProduct[],
  stock2shop: Stock2ShopClient,
  store: ProductStateStore,
): Promise<number> {
  const syncToken = String(Date.now());
  for (let start = 0; start < removed.length; start += STOCK2SHOP_MAX_PUSH) {
    const batch = removed.slice(start, start + STOCK2SHOP_MAX_PUSH);
    await stock2shop.pushProducts(
      batch.map((p) => ({
        source: {
          source_id: connection.stock2shop.sourceId,
          product_active: 'false' as const,
          source_product_code: p.productCode,
          sync_token: syncToken,
          fetch_token: '',
        },
        product: { title: p.title, variants: { source_variant_code: p.code, sku: p.code, inventory_management: true as const } },
      })) as Stock2ShopQueueItem[],
    );
    store.forget(connection.id, batch.map((p) => p.code));
  }
  return removed.length;
}
