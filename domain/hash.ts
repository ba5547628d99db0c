/**
 * A pure, deterministic content hash of a queue item, used to skip products that have not changed
 * since the last push. FNV-1a 64-bit over the UTF-8 bytes of canonical JSON (keys sorted at every
 * level, undefined left out as JSON does). `source.sync_token` and `source.fetch_token` are left
 * out: they change on every push without the product changing.
 *
 * No node:crypto, no TextEncoder: runs unchanged in Temporal's workflow sandbox. Not a
 * cryptographic hash; it only has to notice changes.
 */
import type { Stock2ShopQueueItem } from './stock2shop';

/** JSON with object keys sorted at every level; the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) {
    return `[${value.map((element) => (element === undefined ? 'null' : canonicalJson(element))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined && typeof record[key] !== 'function')
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** FNV-1a 64-bit of a string's UTF-8 bytes, as 16 hex digits. Computed on four 16-bit limbs. */
export function fnv1a64(text: string): string {
  // offset basis 0xcbf29ce484222325, low limb first
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  const mix = (byte: number): void => {
    h0 ^= byte;
    // multiply by the prime 0x100000001b3 = 2^40 + 0x1b3, modulo 2^64
    const t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = h2 * 0x1b3 + (h0 << 8);
    const t3 = h3 * 0x1b3 + (h1 << 8);
    t1 += t0 >>> 16;
    h0 = t0 & 0xffff;
    t2 += t1 >>> 16;
    h1 = t1 & 0xffff;
    h3 = (t3 + (t2 >>> 16)) & 0xffff;
    h2 = t2 & 0xffff;
  };
  for (const char of text) {
    const point = char.codePointAt(0) ?? 0;
    if (point < 0x80) {
      mix(point);
    } else if (point < 0x800) {
      mix(0xc0 | (point >> 6));
      mix(0x80 | (point & 0x3f));
    } else if (point < 0x10000) {
      mix(0xe0 | (point >> 12));
      mix(0x80 | ((point >> 6) & 0x3f));
      mix(0x80 | (point & 0x3f));
    } else {
      mix(0xf0 | (point >> 18));
      mix(0x80 | ((point >> 12) & 0x3f));
      mix(0x80 | ((point >> 6) & 0x3f));
      mix(0x80 | (point & 0x3f));
    }
  }
  const hex = (limb: number): string => limb.toString(16).padStart(4, '0');
  return hex(h3) + hex(h2) + hex(h1) + hex(h0);
}

/** The content hash of a queue item (16 hex digits), blind to sync_token and fetch_token. */
export function productContentHash(item: Stock2ShopQueueItem): string {
  const { sync_token: _syncToken, fetch_token: _fetchToken, ...source } = item.source;
  return fnv1a64(canonicalJson({ source, product: item.product }));
}

/**
 * The content hash of an order as Stock2Shop holds it (raw, before validation): a delivery names it
 * instead of carrying the order, and a changed hash tells a waiting order that it was corrected.
 */
export function orderContentHash(raw: unknown): string {
  return fnv1a64(canonicalJson(withoutWriteBacks(raw)));
}

/** What the engine writes back onto an order's `sources[]` entry is not the channel's content. */
const WRITTEN_BACK_SOURCE_FIELDS = ['source_order_code', 'cancelled_reason'];

function withoutWriteBacks(raw: unknown): unknown {
  const sources = (raw as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return raw;
  const bare = sources.map((source: unknown) =>
    source !== null && typeof source === 'object'
      ? Object.fromEntries(Object.entries(source).filter(([key]) => !WRITTEN_BACK_SOURCE_FIELDS.includes(key)))
      : source,
  );
  return { ...(raw as object), sources: bare };
}
