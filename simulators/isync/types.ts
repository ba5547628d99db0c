/** iSync's records, as iSync holds them. Values are loose on purpose: a catalog may hold malformed records. */

export interface ISyncPriceList {
  Warehouse: string;
  PriceList: string;
  RetailSellingPrice: number | string;
  SellingPrice: number | string;
}

/** One SKU. Variants of a product share `JobProductID`; a simple product has `JobProductID` equal to `SKU`. */
export interface ISyncProduct {
  JobProductID: string;
  SKU: string;
  Barcode?: string;
  JobDescription?: string;
  Product?: string;
  Size?: string;
  Colour?: string;
  AvailableUnits?: number | string;
  /** Ignore, Active or Delete, in any case. */
  WebSale?: string;
  PriceLists?: ISyncPriceList[];
}

export interface ISyncDeliveryDetail {
  ContactName?: string;
  Company?: string;
  Address1?: string;
  Address2?: string;
  City?: string;
  Province?: string;
  PostalCode?: string;
  Country?: string;
  Phone?: string;
}

export interface ISyncOrderLine {
  ProductStockID?: string;
  ThirdPartyBarcode?: string;
  Units: number;
  SellingPrice: number;
  CnTypeID?: number;
  [field: string]: unknown;
}

/** An order as received, plus the OrderID iSync assigned. */
export interface ISyncOrder {
  OrderID: string;
  PONumber: string;
  CustomerCode?: string;
  DeliveryDetail?: ISyncDeliveryDetail;
  Lines: ISyncOrderLine[];
  OrderDate: string;
  [field: string]: unknown;
}
