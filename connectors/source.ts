/**
 * What the engine needs of a source (an accounting system): read its products page by page, and raise orders
 * into it. The two halves are separate interfaces so that a product reader (e.g. Omni's database, read directly
 * with the read-only user) can be combined with a different order writer (Omni's REST service).
 */
import type { SourceKind } from '../domain';

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
