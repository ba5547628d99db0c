/**
 * Values an order carries for its source beyond the DTO's named fields: the channel's `params` and
 * `meta`, read by key. The keys are the Stock2Shop names of the seeds' order tables: Omni's
 * `customer_account_code ← source_customer_code` and `warehouse_code ← warehouse_code`, iSync's
 * customer code. Each value keeps the order field it came from, for a refusal to name it.
 */
import { sourceCustomerCodeOf, type OrderMappingConnection } from './orders';
import { CHANNEL_VALUE_KEYS, type Stock2ShopOrder } from './stock2shop';

/** A value read from the order, and the order field it is in (`params.source_customer_code`, `meta[2].value`). */
export interface OrderValue {
  value: string;
  field: string;
  /** The value is the connection's setting (already validated with the connection), not the order's. */
  setting?: true;
}

/** The channel's value for `key`: `params[key]`, else the first `meta` entry with that key; blank is none. */
export function channelValueOf(order: Stock2ShopOrder, key: string): OrderValue | undefined {
  if (!CHANNEL_VALUE_KEYS.includes(key)) throw new Error(`${key} is not a channel value the engine reads (CHANNEL_VALUE_KEYS)`);
  const param = Object.hasOwn(order.params, key) ? order.params[key]?.trim() : undefined;
  if (param) return { value: param, field: `params.${key}` };
  const index = order.meta.findIndex((entry) => entry.key === key && entry.value.trim() !== '');
  return index === -1 ? undefined : { value: order.meta[index]!.value.trim(), field: `meta[${index}].value` };
}

/**
 * The customer account to raise the order against, and where it came from:
 * 1. this source's `sources[]` entry (Stock2Shop's own record of the account: see orders.ts);
 * 2. the channel's `source_customer_code` (params, then meta): an account the channel named;
 * 3. the connection's `param_default_customer_code` ("when no customer is applied").
 */
export function customerAccountOf(order: Stock2ShopOrder, connection: OrderMappingConnection): OrderValue | undefined {
  const sourceId = connection.stock2shop.sourceId;
  const code = sourceCustomerCodeOf(order, sourceId);
  if (code !== undefined) {
    const index = order.sources.findIndex((source) => source.source_id != null && String(source.source_id).trim() === String(sourceId));
    return { value: code, field: `sources[${index}].source_customer_code` };
  }
  const channel = channelValueOf(order, 'source_customer_code');
  if (channel) return channel;
  const fallback = connection.settings.param_default_customer_code;
  return fallback === undefined ? undefined : { value: fallback, field: 'param_default_customer_code', setting: true };
}

/** Omni's warehouse: the connection's `param_warehouse_code`; with none set, the channel's `warehouse_code`. */
export function warehouseOf(order: Stock2ShopOrder, connection: OrderMappingConnection): OrderValue | undefined {
  const setting = connection.settings.param_warehouse_code;
  if (setting !== undefined) return { value: setting, field: 'param_warehouse_code', setting: true };
  return channelValueOf(order, 'warehouse_code');
}
