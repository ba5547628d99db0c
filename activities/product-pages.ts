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
import { RejectedBySourceError, STOCK2SHOP_MAX_PUSH } from '../connectors';
import { emptyCounts, type SelectedProduct, type SyncProductPageInput, type SyncProductPageResult, type SyncProductPagesInput } from '../contracts/activities';
import { STOCK2SHOP_REFUSED_PREFIX, type ProblemLedger, type ProductStateStore, type PushedProduct } from '../store/product-state';

export interface ProductPageDeps {
  connection: Connection;
  listPage: () => Promise<ProductPage>;
  stock2shop: Stock2ShopClient;
  store: ProductStateStore;
  /**
   * Where the page's invalid and refused records are recorded as open problems; a record's problem
   * closes when it syncs clean (pushed, unchanged, or IGNORE). None: not recorded.
   */
  problems?: ProblemLedger | undefined;
  heartbeat: (details: Record<string, unknown>) => void;
}

export async function syncOneProductPage(
  input: SyncProductPageInput & Pick<SyncProductPagesInput, 'onlyCodes'>,
  deps: ProductPageDeps,
): Promise<SyncProductPageResult> {
  const { connection, store } = deps;
  // A one-off push: only these records, pushed whatever their stored hash, and no pass to mark them seen in.
  const only = input.onlyCodes ? new Set(input.onlyCodes) : undefined;
  const selected: SelectedProduct[] = [];
  const page = await deps.listPage();
  deps.heartbeat({ cursor: input.cursor, stage: 'listed', records: page.records.length });

  const mapping = SOURCE_MAPPINGS[connection.sourceKind];
  const context = { sourceId: connection.stock2shop.sourceId, syncToken: String(Date.now()), fetchToken: input.cursor ?? '' };
  const result: SyncProductPageResult = { nextCursor: page.nextCursor, ...emptyCounts(), listed: page.records.length, invalidRecords: [] };
  const changed: ChangedProduct[] = [];
  const seen: string[] = [];
  const candidates: ChangedProduct[] = [];
  /** Records that synced clean: their open problems, if any, close. */
  const clean: string[] = [];

  for (const record of page.records) {
    const mapped = mapping.mapProduct(record, context);
    if (only && !only.has(mapped.code)) continue;
    seen.push(mapped.code);
    if (mapped.outcome === 'ignored') {
      result.ignored += 1;
      clean.push(mapped.code);
      selected.push({ code: mapped.code, outcome: 'ignored' });
      continue;
    }
    if (mapped.outcome === 'invalid') {
      result.invalid += 1;
      result.invalidRecords.push({ code: mapped.code, field: mapped.field, reason: mapped.reason });
      selected.push({ code: mapped.code, outcome: 'invalid' });
      continue;
    }
    const hash = productContentHash(mapped.item);
    candidates.push({
      item: mapped.item,
      pushed: { code: mapped.code, hash, productCode: mapped.item.source.source_product_code, title: mapped.item.product.title },
    });
  }
  // One read for the whole page: what was last pushed of each of its products.
  const lastPushed =
    input.full || only
      ? new Map<string, string>()
      : await store.lastPushedHashes(
          connection.id,
          candidates.map((c) => c.pushed.code),
        );
  for (const candidate of candidates) {
    if (lastPushed.get(candidate.pushed.code) === candidate.pushed.hash) {
      result.unchanged += 1;
      clean.push(candidate.pushed.code);
    } else changed.push(candidate);
  }

  await pushChanged(changed, deps, input.cursor, { result, clean, selected });
  if (deps.problems) {
    // Closed first: a code both clean and rejected on one page (a repeated record) stays open.
    await deps.problems.closeProblems(connection.id, 'product', clean);
    await deps.problems.recordProblems(
      connection.id,
      result.invalidRecords.map((r) => ({ kind: 'product' as const, code: r.code, field: r.field, reason: r.reason })),
    );
  }
  if (only) return { ...result, selected };
  await store.markSeen(connection.id, input.passId, seen);
  return result;
}

type ChangedProduct = { item: Stock2ShopQueueItem; pushed: PushedProduct };

/** What a page's pushes add up to: its counts, the codes that synced clean, what became of each selected code. */
interface PageTally {
  result: SyncProductPageResult;
  clean: string[];
  selected: SelectedProduct[];
}

/** Pushes the changed products in batches of up to 1,000, each batch remembered as pushed as soon as Stock2Shop took it. */
async function pushChanged(changed: ChangedProduct[], deps: ProductPageDeps, cursor: string | null, { result, clean, selected }: PageTally): Promise<void> {
  for (let start = 0; start < changed.length; start += STOCK2SHOP_MAX_PUSH) {
    const { accepted, refused } = await pushFindingRefused(deps.stock2shop, changed.slice(start, start + STOCK2SHOP_MAX_PUSH));
    await deps.store.recordPushed(
      deps.connection.id,
      accepted.map((c) => c.pushed),
    );
    for (const { item, pushed } of accepted) {
      const deleted = item.source.product_active === 'false';
      if (deleted) result.deleted += 1;
      else result.pushed += 1;
      clean.push(pushed.code);
      selected.push({ code: pushed.code, outcome: deleted ? 'sent_as_deleted' : 'pushed' });
    }
    for (const { entry, reason } of refused) {
      result.invalid += 1;
      result.invalidRecords.push({ code: entry.pushed.code, field: '(Stock2Shop)', reason: `${STOCK2SHOP_REFUSED_PREFIX}${reason}` });
      selected.push({ code: entry.pushed.code, outcome: 'invalid' });
    }
    deps.heartbeat({ cursor, stage: 'pushed', pushed: start + accepted.length + refused.length, of: changed.length });
  }
}

/**
 * Pushes a batch; when Stock2Shop refuses it as invalid (4xx), splits it in halves until the items
 * it refuses are found, so one bad item never holds back the others (nor fails the page forever).
 */
async function pushFindingRefused(
  stock2shop: Stock2ShopClient,
  batch: ChangedProduct[],
): Promise<{ accepted: ChangedProduct[]; refused: { entry: ChangedProduct; reason: string }[] }> {
  if (batch.length === 0) return { accepted: [], refused: [] };
  try {
    await stock2shop.pushProducts(batch.map((c) => c.item));
    return { accepted: batch, refused: [] };
  } catch (error) {
    if (!(error instanceof RejectedBySourceError)) throw error;
    if (batch.length === 1) return { accepted: [], refused: [{ entry: batch[0]!, reason: error.sourceMessage }] };
    const middle = Math.ceil(batch.length / 2);
    const first = await pushFindingRefused(stock2shop, batch.slice(0, middle));
    const second = await pushFindingRefused(stock2shop, batch.slice(middle));
    return { accepted: [...first.accepted, ...second.accepted], refused: [...first.refused, ...second.refused] };
  }
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
    await store.forget(
      connection.id,
      batch.map((p) => p.code),
    );
  }
  return removed.length;
}
