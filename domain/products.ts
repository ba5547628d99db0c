/**
 * What mapping one source product record gives: a queue item to push, a record that is not to be
 * sent (IGNORE), or a record that is invalid (reported with its code, field and reason). A bad
 * record never throws and never stops the others.
 */
import type { Stock2ShopQueueItem } from './stock2shop';

/** What a product mapper needs besides the record; supplied by the sync activity. */
export interface ProductMappingContext {
  /** Stock2Shop's id of this source (`connection.stock2shop.sourceId`). */
  sourceId: number;
  /** Stock2Shop's `source.sync_token` for this push. */
  syncToken: string;
  /** Stock2Shop's `source.fetch_token` for this push. */
  fetchToken: string;
}

export type ProductMappingResult =
  /** Push `item` to Stock2Shop (product_active "true" for ACTIVE, "false" for DELETE). */
  | { outcome: 'push'; code: string; item: Stock2ShopQueueItem }
  /** The record is marked IGNORE: never sent. */
  | { outcome: 'ignored'; code: string; reason: string }
  /** The record cannot be used; `field` is the source's own field name (e.g. `EXTRADTLS8`, `PriceLists[1].SellingPrice`). */
  | { outcome: 'invalid'; code: string; field: string; reason: string };

export type ProductMappingOutcome = ProductMappingResult['outcome'];

/** A product record's code for reports, read from raw input without trusting it. */
export function recordCodeOf(record: unknown, ...fields: string[]): string | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  for (const field of fields) {
    const value = (record as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

/** Reads one raw field of a record (anything may be there). */
export function rawField(record: unknown, field: string): unknown {
  if (record === null || typeof record !== 'object') return undefined;
  return (record as Record<string, unknown>)[field];
}

/** Counts the outcomes of a page of mapping results. */
export function countProductOutcomes(results: ReadonlyArray<ProductMappingResult>): Record<ProductMappingOutcome, number> {
  const counts: Record<ProductMappingOutcome, number> = { push: 0, ignored: 0, invalid: 0 };
  for (const result of results) counts[result.outcome] += 1;
  return counts;
}
