/** Omni Accounts' records, as Omni holds them. */

/**
 * A stock item. Values are loose on purpose: a catalog may hold the malformed records real data has
 * (a price typed as text, a missing description), and the sync must cope with them.
 */
export interface OmniStockItem {
  STOCKCODE: string;
  DESCRIPTION?: string;
  /** Free text, normally ACTIVE / DELETE / IGNORE in any case and spacing. */
  EXTRADTLS8?: string;
  SELLINGPRICE1?: number | string;
  /** May be negative. */
  OAvailable?: number | string;
}

export interface OmniOrderLine {
  stock_code: string;
  description?: string;
  quantity: number;
  selling_price: number;
  vat_code?: string;
  [field: string]: unknown;
}

/** A sales order document: what the client posted, plus what Omni assigned. */
export interface OmniSalesOrder {
  document_number: string;
  reference: string;
  customer_account_code: string;
  warehouse_code: string;
  rep_code?: string;
  document_date: string;
  order_lines: OmniOrderLine[];
  [field: string]: unknown;
}
