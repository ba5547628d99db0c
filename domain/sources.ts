/**
 * The registry of sources: for each source kind, how its product records map to Stock2Shop and
 * how a Stock2Shop order maps to its document. A new source adds its `domain/<source>.ts` and one
 * entry here.
 */
import type { Connection, SourceKind } from './connection';
import { mapISyncProduct, mapOrderToISyncOrder, type ISyncOrder } from './isync';
import { mapOmniStockItem, mapOrderToOmniSalesDocument, type OmniSalesDocument } from './omni';
import type { ProductMappingContext, ProductMappingResult } from './products';
import type { OrderMappingConnection } from './orders';

/** The document a source raises for an order. */
export interface SourceOrderDocuments {
  omni: OmniSalesDocument;
  isync: ISyncOrder;
}
export type SourceOrderDocument = SourceOrderDocuments[SourceKind];

export interface SourceMapping<K extends SourceKind> {
  sourceKind: K;
  /** The source's product-active field (`EXTRADTLS8`, `WebSale`). */
  productActiveField: string;
  /** Maps one raw product record; never throws. */
  mapProduct(record: unknown, context: ProductMappingContext): ProductMappingResult;
  /** Maps a Stock2Shop order; throws `DomainValidationError` for an order a person must fix. */
  mapOrder(order: unknown, connection: OrderMappingConnection): SourceOrderDocuments[K];
}

export const SOURCE_MAPPINGS: { [K in SourceKind]: SourceMapping<K> } = {
  omni: {
    sourceKind: 'omni',
    productActiveField: 'EXTRADTLS8',
    mapProduct: mapOmniStockItem,
    mapOrder: mapOrderToOmniSalesDocument,
  },
  isync: {
    sourceKind: 'isync',
    productActiveField: 'WebSale',
    mapProduct: mapISyncProduct,
    mapOrder: mapOrderToISyncOrder,
  },
};

/** Maps a Stock2Shop order to the document of the connection's source (throws `DomainValidationError`). */
export function mapOrderForSource(connection: Pick<Connection, 'sourceKind' | 'settings' | 'stock2shop'>, order: unknown): SourceOrderDocument {
  return SOURCE_MAPPINGS[connection.sourceKind].mapOrder(order, connection);
}

/** Maps one raw product record of the connection's source (never throws). */
export function mapProductForSource(sourceKind: SourceKind, record: unknown, context: ProductMappingContext): ProductMappingResult {
  return SOURCE_MAPPINGS[sourceKind].mapProduct(record, context);
}
