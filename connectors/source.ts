/**
 * What the engine needs of a source (an accounting system): read its products page by page, and raise orders
 * into it. The two halves are separate interfaces so that a product reader (e.g. Omni's database, read directly
 * with the read-only user) can be combined with a different order writer (Omni's REST service).
 */
import type { SourceKind } from '../domain';
import { SYSTEM_LABEL, UnconfirmedOrderError, type SystemName } from './errors';

/** One page of raw source records; `nextCursor` is null on the last page. */
export interface ProductPage {
  /** Raw records as the source sent them: the domain validates and maps each record on its own. */
  records: Record<string, unknown>[];
  nextCursor: string | null;
}

/** A document raised in the source: its invoice / sales order / quote number. */
export interface SourceOrderRef {
  sourceOrderCode: string;
}

export interface ProductReader {
  /** Lists the page after `cursor` (null: from the start). The envelope is validated, the records are not. */
  listProducts(cursor: string | null, pageSize: number): Promise<ProductPage>;
}

export interface OrderWriter<TDocument> {
  /** The document raised for this channel order code, if any (a create whose answer was lost must not repeat). */
  findOrder(channelOrderCode: string): Promise<SourceOrderRef | null>;
  /** Raises the document. Idempotent: a "already exists" answer is turned into the existing document's code. */
  createOrder(document: TDocument): Promise<SourceOrderRef>;
}

export interface SourceConnector<TDocument> extends ProductReader, OrderWriter<TDocument> {
  readonly kind: SourceKind;
  /** Checks that the source answers and accepts the login. */
  ping(): Promise<void>;
}

/** Combines a product reader and an order writer (and a ping) into one SourceConnector. */
export function combineSource<TDocument>(
  kind: SourceKind,
  reader: ProductReader,
  writer: OrderWriter<TDocument>,
  ping: () => Promise<void>,
): SourceConnector<TDocument> {
  return {
    kind,
    ping,
    listProducts: (cursor, pageSize) => reader.listProducts(cursor, pageSize),
    findOrder: (code) => writer.findOrder(code),
    createOrder: (document) => writer.createOrder(document),
  };
}

/**
 * The document of exactly this order among a find's answer. A document counts only when it carries
 * the order's code; an answer with documents that carry no code or another code shows the source did
 * not filter (or does not say), so nobody can tell whether the order exists: that is never "not
 * found", which would create it a second time.
 */
export function documentOfOrder<D>(
  system: SystemName,
  channelOrderCode: string,
  documents: readonly D[],
  codeOf: (document: D) => string | undefined,
  numberOf: (document: D) => string,
): SourceOrderRef | null {
  const match = documents.find((document) => codeOf(document) === channelOrderCode);
  if (match) return { sourceOrderCode: numberOf(match) };
  if (documents.length === 0) return null;
  const unlabelled = documents.filter((document) => codeOf(document) === undefined).length;
  // The candidates a person checks by hand: the first few documents the search answered.
  const seen = documents.slice(0, 5).map(numberOf).join(', ') + (documents.length > 5 ? ', …' : '');
  throw new UnconfirmedOrderError(
    system,
    'findOrder',
    `cannot confirm whether order ${channelOrderCode} exists in ${SYSTEM_LABEL[system]}: the search for it answered ` +
      `${documents.length} document(s) (${seen}), ${unlabelled > 0 ? `${unlabelled} without an order code` : 'none with its code'}; check the source before a retry`,
  );
}
