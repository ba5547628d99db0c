/** What Stock2Shop holds: the source products it received and the orders it keeps for sources. */

export interface QueuedSource {
  /** Held as a number, whether it arrived as a number or a numeric string. */
  source_id: number;
  /** "true" or "false". */
  product_active: string;
  source_product_code: string;
  sync_token: string | number;
  fetch_token: string | number;
  [field: string]: unknown;
}

export interface QueuedVariant {
  source_variant_code: string;
  sku: string;
  [field: string]: unknown;
}

export interface QueuedProduct {
  title: string;
  /** One variant per queued item. */
  variants: QueuedVariant;
  [field: string]: unknown;
}

/** One `{source, product}` item of a `POST /products/queue`, as received. */
export interface ReceivedProduct {
  received_at: string;
  source: QueuedSource;
  product: QueuedProduct;
}

export interface OrderSource {
  source_id: number | string;
  source_customer_code?: string;
  source_order_code?: string;
  /** Set when the source's integration cancelled the order (it will not be raised for this source). */
  cancelled_reason?: string;
  [field: string]: unknown;
}

/** Stock2Shop's order DTO; only the fields the simulator acts on are named. */
export interface Stock2ShopOrder {
  channel_order_code: string;
  instruction?: string;
  sources?: OrderSource[];
  [field: string]: unknown;
}

export interface WriteBack {
  at: string;
  kind: 'source_order_code' | 'failure' | 'cancelled';
  source_id: number | string;
  /** The source order code, the failure reason, or why it was cancelled. */
  value: string;
}

/** An order with what sources wrote back about it. */
export interface HeldOrder {
  channel_order_code: string;
  /** Null when a write-back arrived for an order this simulator was never given. */
  received_at: string | null;
  order: Stock2ShopOrder | null;
  /** When the order's content was last replaced (a corrected order); absent until then. */
  replaced_at?: string;
  source_order_code: string | null;
  /** The latest failure; cleared when a source order code is written back. */
  failure_reason: string | null;
  /** Why the source's integration cancelled it (it waits no more); absent until then. */
  cancelled_reason?: string | null;
  write_backs: WriteBack[];
}

export interface WebhookDelivery {
  at: string;
  url: string;
  channel_order_code: string;
  /** Whether it carried `X-Stock2Shop-Timestamp` / `X-Stock2Shop-Signature` (a webhook secret was set). */
  signed: boolean;
  /** The intake's answer, or null when it could not be reached. */
  status: number | null;
  error?: string;
}

/** What a webhook delivery POSTs: the order announced, with the fields an intake is expected to use. */
export interface WebhookPayload {
  instruction: 'add_order';
  /** The order's first `sources` entry, or null without one. */
  source_id: number | string | null;
  channel_order_code: string;
  order: Stock2ShopOrder;
}
