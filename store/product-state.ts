/**
 * What was last pushed to Stock2Shop for each product of a connection (a content hash), which products
 * each pass over the catalog has seen, and the problem ledger: the store's contract. Every method is
 * asynchronous and reads or writes a whole page's codes at once, so a store may live in a database
 * shared by several workers. Two implementations, side by side: `file-store.ts` (the embedded default)
 * and `postgres-store.ts` (DATABASE_URL); `from-env.ts` chooses.
 */
export interface PushedProduct {
  /** The variant code: one Stock2Shop queue item per variant. */
  code: string;
  hash: string;
  productCode: string;
  title: string;
}

/** How long a store remembers that a pass ended (longer than any retry of its reconcile step). */
export const ENDED_PASS_MEMORY_DAYS = 7;

export interface ProductStateStore {
  /** The last pushed content hash of each of `codes` that has one (codes never pushed, or forgotten, are absent). */
  lastPushedHashes(connectionId: string, codes: string[]): Promise<Map<string, string>>;
  recordPushed(connectionId: string, products: PushedProduct[]): Promise<void>;
  forget(connectionId: string, codes: string[]): Promise<void>;
  markSeen(connectionId: string, passId: string, codes: string[]): Promise<void>;
  /**
   * Products pushed before and not seen during the pass, by code. None once the pass has ended: a
   * reconcile step retried after its `endPass` (its answer lost) must not take every product for removed.
   */
  unseenInPass(connectionId: string, passId: string): Promise<PushedProduct[]>;
  /** Forgets the pass's seen codes, and remembers (for a week) that the pass ended. */
  endPass(connectionId: string, passId: string): Promise<void>;
}

/**
 * The problem ledger: what needs a person, per connection. A product record rejected by validation or
 * refused by Stock2Shop (`product`, its variant code), an order waiting for a fix or failed (`order`,
 * its channel order code). One open problem per (connection, kind, code): recording it again keeps its
 * first sighting and takes the new field, reason and time; closing it removes it. Written by the
 * activities (product pages, order write-backs), read by `cli status` and `cli problems`.
 */
export type ProblemKind = 'product' | 'order';

export interface ProblemReport {
  kind: ProblemKind;
  code: string;
  /** The field at fault (`SELLINGPRICE1`, `line_items[0].qty`); '' when the reason names no field. */
  field: string;
  /** As kept at rest: the engine's own words (`sealed-problems.ts`); as read through the connection's key, the reason whole. */
  reason: string;
  /** The reason whole, sealed with the connection's key: it may quote the source, so it is never kept in plain. */
  sealedReason?: string;
}

export interface Problem extends ProblemReport {
  connectionId: string;
  firstSeen: Date;
  lastSeen: Date;
}

export interface ProblemLedger {
  /** Opens each problem, or refreshes it when open already (its first sighting kept). Within one call the last of a (kind, code) wins. */
  recordProblems(connectionId: string, problems: ProblemReport[]): Promise<void>;
  /** Closes the connection's open problems of this kind and these codes (codes with none are ignored). */
  closeProblems(connectionId: string, kind: ProblemKind, codes: string[]): Promise<void>;
  /** Closes the product problems of records the pass never saw (gone from the source); call before `endPass`. */
  closeProductProblemsUnseenInPass(connectionId: string, passId: string): Promise<void>;
  /** Every open problem, of one connection or of all, by connection, kind and code. */
  openProblems(connectionId?: string): Promise<Problem[]>;
}

/** How a product problem's reason starts when Stock2Shop refused the record (the rest is Stock2Shop's words). */
export const STOCK2SHOP_REFUSED_PREFIX = 'refused by Stock2Shop: ';

/** The store's ledger, when it keeps one (both stores of this project do). */
export function problemLedgerOf(store: unknown): ProblemLedger | undefined {
  const candidate = store as Partial<ProblemLedger> | null | undefined;
  return typeof candidate?.recordProblems === 'function' && typeof candidate.openProblems === 'function' ? (candidate as ProblemLedger) : undefined;
}

/**
 * The problem of an order needing a person: the field when the reason names one the way a validation
 * failure does (`Order WEB-1001: line_items[0].qty: must be a whole number`), else '' and the reason whole.
 */
export function orderProblemOf(channelOrderCode: string, reason: string): ProblemReport {
  const prefix = `Order ${channelOrderCode}: `;
  const named = reason.startsWith(prefix) ? /^([^\s:]+): (.+)$/s.exec(reason.slice(prefix.length)) : null;
  return named ? { kind: 'order', code: channelOrderCode, field: named[1]!, reason: named[2]! } : { kind: 'order', code: channelOrderCode, field: '', reason };
}

/** Orders our own, by connection id, kind and code (plain code-unit order, as Postgres's COLLATE "C"). */
export function compareProblems(a: Problem, b: Problem): number {
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return order(a.connectionId, b.connectionId) || order(a.kind, b.kind) || order(a.code, b.code);
}
