/**
 * Order rules shared by every source: which customer account an order goes to, whether a line
 * carries tax, and the shipping charge.
 */
import type { Connection } from './connection';
import type { Stock2ShopOrder, Stock2ShopOrderLine, Stock2ShopTaxLine } from './stock2shop';
import { DomainValidationError } from './validation';
import { roundMoney } from './lifecycle';

/** What an order mapper needs of a connection (a whole `Connection` will do). */
export type OrderMappingConnection = Pick<Connection, 'settings' | 'stock2shop'>;

/** Stock2Shop's own text for an order with no customer account. */
export const NO_CUSTOMER_CODE_REASON = 'No default customer code given or source customer code';

/**
 * The order's `source_customer_code` for this source: the `source_customer_code` of the order's
 * `sources[]` entry whose `source_id` is this connection's Stock2Shop source id.
 *
 * Decision: the customer's `channel_customer_code` is NOT used. It is the sales channel's id of the
 * customer (e.g. a Shopify customer number), not an account code in the accounting system, and
 * raising against it would book the order on a wrong or unknown account. Stock2Shop records the
 * source's account code on the order's `sources[]` entry, so that is the only place read.
 */
export function sourceCustomerCodeOf(order: Stock2ShopOrder, sourceId: number): string | undefined {
  const entry = order.sources.find((source) => source.source_id != null && String(source.source_id).trim() === String(sourceId));
  return entry?.source_customer_code;
}

/**
 * The customer account to raise the order against: the source customer code, else
 * `param_default_customer_code`, else `undefined`.
 */
export function customerAccountCodeOf(order: Stock2ShopOrder, connection: OrderMappingConnection): string | undefined {
  return sourceCustomerCodeOf(order, connection.stock2shop.sourceId) ?? connection.settings.param_default_customer_code;
}

/** As `customerAccountCodeOf`, but an order with neither is an error carrying Stock2Shop's own text. */
export function requireCustomerAccountCode(order: Stock2ShopOrder, connection: OrderMappingConnection): string {
  const code = customerAccountCodeOf(order, connection);
  if (code === undefined) {
    throw new DomainValidationError({
      recordType: 'Order',
      record: order.channel_order_code,
      field: 'source_customer_code',
      reason: NO_CUSTOMER_CODE_REASON,
    });
  }
  return code;
}

/** Whether a tax line charges tax: a rate above 0, or (with no rate given) a tax amount above 0. */
function chargesTax(taxLine: Stock2ShopTaxLine): boolean {
  if (taxLine.rate != null) return taxLine.rate > 0;
  return (taxLine.price ?? 0) > 0;
}

/** A line is tax-exempt when it has no tax lines, or none of them charges tax (all rates 0). */
export function isTaxExemptLine(line: Pick<Stock2ShopOrderLine, 'tax_lines'>): boolean {
  return !line.tax_lines.some(chargesTax);
}

/** The shipping charge: the sum of the shipping lines' prices (excl. VAT); 0 when there is none. */
export function shippingChargeOf(order: Stock2ShopOrder): number {
  return roundMoney(order.shipping_lines.reduce((sum, line) => sum + line.price, 0));
}

/** The shipping line's description: the shipping lines' titles, or "Shipping". */
export function shippingDescriptionOf(order: Stock2ShopOrder): string {
  const titles = order.shipping_lines.map((line) => line.title).filter((title): title is string => !!title);
  return titles.length > 0 ? titles.join(', ') : 'Shipping';
}

/** The product code the shipping charge is raised against; a charge without the setting is an error naming it. */
export function requireShippingCode(order: Stock2ShopOrder, connection: OrderMappingConnection): string {
  const code = connection.settings.param_shipping_code;
  if (code === undefined) {
    throw new DomainValidationError({
      recordType: 'Order',
      record: order.channel_order_code,
      field: 'param_shipping_code',
      reason: `the order has a shipping charge of ${shippingChargeOf(order)} but the connection setting param_shipping_code (the product code for shipping) is not set`,
    });
  }
  return code;
}
