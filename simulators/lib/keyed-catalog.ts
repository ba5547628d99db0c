/**
 * The records a system holds, keyed by their code and kept in ordinal code order, so a keyset page
 * (`after` a code) is a binary search and a slice, fast at 100,000 records.
 *
 * Records are replaced, never mutated, on update: a snapshot a test took stays as it was.
 */
export interface KeysetPage<T> {
  items: T[];
  /** The last code of this page when more follow, else null. */
  nextAfter: string | null;
}

export class KeyedCatalog<T extends object> {
  private readonly byKey = new Map<string, T>();
  private keys: string[];
  /** Bumped on every change, so derived indexes (e.g. by barcode) know when to rebuild. */
  version = 0;

  constructor(
    private readonly keyOf: (item: T) => string,
    items: Iterable<T>,
  ) {
    for (const item of items) {
      const key = keyOf(item);
      if (typeof key !== 'string' || key === '') throw new TypeError(`every record needs a code, got ${JSON.stringify(item)}`);
      if (this.byKey.has(key)) throw new Error(`duplicate code ${key}`);
      this.byKey.set(key, item);
    }
    this.keys = [...this.byKey.keys()].sort(compareOrdinal);
  }

  get size(): number {
    return this.keys.length;
  }

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  /** Every record, in code order. */
  all(): T[] {
    return this.keys.map((key) => this.byKey.get(key) as T);
  }

  page(after: string | null, limit: number): KeysetPage<T> {
    const start = after === null ? 0 : this.firstIndexAfter(after);
    const end = Math.min(start + limit, this.keys.length);
    const items = this.keys.slice(start, end).map((key) => this.byKey.get(key) as T);
    const last = this.keys[end - 1];
    return { items, nextAfter: end < this.keys.length && last !== undefined ? last : null };
  }

  add(item: T): void {
    const key = this.keyOf(item);
    if (typeof key !== 'string' || key === '') throw new TypeError('a record needs a code');
    if (this.byKey.has(key)) throw new Error(`${key} already exists`);
    this.byKey.set(key, item);
    this.keys.splice(this.firstIndexAfter(key), 0, key);
    this.version++;
  }

  /** Merges `patch` into the record; the code itself cannot change. */
  update(key: string, patch: Partial<T>): T {
    const current = this.byKey.get(key);
    if (!current) throw new Error(`${key} not found`);
    const updated = { ...current, ...patch };
    if (this.keyOf(updated) !== key) throw new Error(`the code of ${key} cannot change; remove it and add a new record`);
    this.byKey.set(key, updated);
    this.version++;
    return updated;
  }

  remove(key: string): void {
    if (!this.byKey.delete(key)) throw new Error(`${key} not found`);
    const index = this.firstIndexAfter(key) - 1;
    this.keys.splice(index, 1);
    this.version++;
  }

  /** Index of the first code ordinally greater than `key`. */
  private firstIndexAfter(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.keys[mid] as string) <= key) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** Plain UTF-16 code unit order: what `after` / `AfterSKU` compare with, independent of locale. */
export function compareOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
