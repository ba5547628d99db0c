/**
 * Omni Accounts: its stock item records, its sales documents, and the mappings to and from
 * Stock2Shop (the seed `omni-accounts.md` is the specification).
 *
 * Products:  STOCKCODE → source_product_code, source_variant_code, variants.sku;
 *            DESCRIPTION → title; EXTRADTLS8 → product_active (ACTIVE/DELETE/IGNORE);
 *            SELLINGPRICE1 → variants.price (the retail price); OAvailable → variants.qty;
 *            variants.inventory_management = true.
 * Orders:    source_customer_code → customer_account_code; param_warehouse_code → warehouse_code;
 *            line sku/title/qty/price → stock_code/description/quantity/selling_price;
 *            param_default_tax_code → vat_code. Omni receives no address, name or note of the order:
 *            only the fields above are held to Omni's rules (source-limits.ts).
 */
import { z } from 'zod';
import { decideProductLifecycle } from './lifecycle';
import { isTaxExemptLine, NO_CUSTOMER_CODE_REASON, requireShippingCode, shippingChargeOf, shippingDescriptionOf, type OrderMappingConnection } from './orders';
import { customerAccountOf, warehouseOf, type OrderValue } from './order-values';
import { OMNI_TEXT_RULES, sourceTextChecker, type TextRule } from './source-limits';
import { rawField, recordCodeOf, type ProductMappingContext, type ProductMappingResult } from './products';
import { parseStock2ShopOrder, type Stock2ShopQueueItem } from './stock2shop';
import { DomainValidationError, firstProblem } from './validation';
import { CodeSchema, PriceSchema, RequiredTextSchema, StockQuantitySchema } from './values';

// ---------------------------------------------------------------------------------------------
// Stock items → Stock2Shop products
// ---------------------------------------------------------------------------------------------

/**
 * An Omni stock item as listed (`GET /Stock%20Item/` → `stock_items[]`). Codes and texts are
 * trimmed (Omni's database pads CHAR columns); numbers may come as numeric text.
 */
export const OmniStockItemSchema = z.object({
  STOCKCODE: CodeSchema,
  DESCRIPTION: RequiredTextSchema,
  /** Free text, normally ACTIVE / DELETE / IGNORE in any case and spacing; read by `decideProductLifecycle`. */
  EXTRADTLS8: z.string().nullish(),
  /** Retail selling price, ≥ 0. */
  SELLINGPRICE1: PriceSchema,
  /** Available stock; may be negative or fractional in Omni, normalised to a whole number ≥ 0. */
  OAvailable: StockQuantitySchema,
});
export type OmniStockItem = z.infer<typeof OmniStockItemSchema>;

/**
 * Maps one Omni stock item to a Stock2Shop queue item. Never throws: an IGNORE record is
 * `ignored`, a bad record is `invalid` with its STOCKCODE, the Omni field name and the reason.
 * The flag is read first, so an IGNORE record is never reported for its other fields.
 */
export function mapOmniStockItem(record: unknown, context: ProductMappingContext): ProductMappingResult {
  const code = recordCodeOf(record, 'STOCKCODE') ?? '(no STOCKCODE)';
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { outcome: 'invalid', code, field: '(record)', reason: 'must be an object' };
  }
  const lifecycle = decideProductLifecycle(rawField(record, 'EXTRADTLS8'));
  if (lifecycle.action === 'ignored') {
    return { outcome: 'ignored', code, reason: 'EXTRADTLS8 is IGNORE' };
  }
  if (lifecycle.action === 'invalid') {
    return { outcome: 'invalid', code, field: 'EXTRADTLS8', reason: lifecycle.reason };
  }
  const parsed = OmniStockItemSchema.safeParse(record);
  if (!parsed.success) {
    return { outcome: 'invalid', code, ...firstProblem(parsed.error, record) };
  }
  const stockItem = parsed.data;
  const item: Stock2ShopQueueItem = {
    source: {
      source_id: context.sourceId,
      product_active: lifecycle.product_active,
      source_product_code: stockItem.STOCKCODE,
      sync_token: context.syncToken,
      fetch_token: context.fetchToken,
    },
    product: {
      title: stockItem.DESCRIPTION,
      variants: {
        source_variant_code: stockItem.STOCKCODE,
        sku: stockItem.STOCKCODE,
        qty: stockItem.OAvailable,
        price: stockItem.SELLINGPRICE1,
        inventory_management: true,
      },
    },
  };
  return { outcome: 'push', code: stockItem.STOCKCODE, item };
}

// ---------------------------------------------------------------------------------------------
// Stock2Shop orders → Omni sales documents
// ---------------------------------------------------------------------------------------------

export const OmniSalesOrderLineSchema = z.object({
  stock_code: z.string().min(1),
  description: z.string(),
  quantity: z.number().int().positive(),
  /** Unit price excluding VAT. */
  selling_price: z.number().min(0),
  vat_code: z.string(),
});
export type OmniSalesOrderLine = z.infer<typeof OmniSalesOrderLineSchema>;

/** The body of `POST /Sales%20Order/`. */
export const OmniSalesDocumentSchema = z.object({
  customer_account_code: z.string().min(1),
  warehouse_code: z.string().min(1),
  /** Always the channel order code; unique in Omni, so it is also how a raised order is found again. */
  reference: z.string().min(1),
  /** Only when `param_use_channel_order_code`; otherwise Omni numbers the document itself. */
  document_number: z.string().min(1).optional(),
  rep_code: z.string().min(1).optional(),
  order_lines: z.array(OmniSalesOrderLineSchema).min(1),
});
export type OmniSalesDocument = z.infer<typeof OmniSalesDocumentSchema>;

/**
 * Maps a Stock2Shop order to an Omni sales document. Validates the order first.
 *
 * Throws `DomainValidationError` (a person must fix it; never retry) for: an invalid order
 * (`Order WEB-1001: line_items[2].sku: required`), no customer account
 * (`... source_customer_code: No default customer code given or source customer code`), no
 * warehouse, a shipping charge without `param_shipping_code`, or a field Omni receives that breaks
 * Omni's rule (`... line_items[0].title: must be at most 500 characters (Omni order_lines.description)`).
 *
 * - customer_account_code ← the order's source customer code for this source, else the channel's
 *   `source_customer_code` (params, meta), else `param_default_customer_code`;
 * - warehouse_code ← `param_warehouse_code`, else the channel's `warehouse_code`;
 * - a line's vat_code ← `param_default_tax_code`, or `param_default_tax_code_exempt` when the line has no tax;
 * - a line's description ← title, or its sku when the order line has no title;
 * - the shipping charge (sum of shipping_lines, only when > 0) ← one more line: `param_shipping_code`,
 *   quantity 1, `param_default_tax_code_shipping`;
 * - line discounts are not applied (Stock2Shop's `param_line_item_discount` is not supported).
 */
export function mapOrderToOmniSalesDocument(
  /** A Stock2Shop order as received (raw JSON or an already parsed `Stock2ShopOrder`); validated here. */
  orderInput: unknown,
  connection: OrderMappingConnection,
): OmniSalesDocument {
  const order = parseStock2ShopOrder(orderInput);
  const { settings } = connection;
  const fail = (field: string, reason: string): never => {
    throw new DomainValidationError({ recordType: 'Order', record: order.channel_order_code, field, reason });
  };
  const check = sourceTextChecker(order.channel_order_code);
  const checked = (found: OrderValue, rule: TextRule) => (found.setting ? found.value : check(found.field, found.value, rule));

  const customer = customerAccountOf(order, connection);
  if (customer === undefined) return fail('source_customer_code', NO_CUSTOMER_CODE_REASON);
  const customerAccountCode = checked(customer, OMNI_TEXT_RULES.customer_account_code);
  const warehouse = warehouseOf(order, connection);
  if (warehouse === undefined) {
    return fail('param_warehouse_code', 'the connection setting param_warehouse_code (the Omni warehouse) is not set, nor a warehouse_code in the order');
  }
  const warehouseCode = checked(warehouse, OMNI_TEXT_RULES.warehouse_code);

  const orderLines: OmniSalesOrderLine[] = order.line_items.map((line, index) => ({
    stock_code: check(`line_items[${index}].sku`, line.sku, OMNI_TEXT_RULES.stock_code),
    description: line.title === undefined ? line.sku : check(`line_items[${index}].title`, line.title, OMNI_TEXT_RULES.description),
    quantity: line.qty,
    selling_price: line.price,
    vat_code: isTaxExemptLine(line) ? settings.param_default_tax_code_exempt : settings.param_default_tax_code,
  }));

  const shippingCharge = shippingChargeOf(order);
  if (shippingCharge > 0) {
    const titles = order.shipping_lines.length === 1 ? 'shipping_lines[0].title' : 'shipping_lines';
    orderLines.push({
      stock_code: requireShippingCode(order, connection),
      description: check(titles, shippingDescriptionOf(order), OMNI_TEXT_RULES.description),
      quantity: 1,
      selling_price: shippingCharge,
      vat_code: settings.param_default_tax_code_shipping,
    });
  }

  const document: OmniSalesDocument = {
    customer_account_code: customerAccountCode,
    warehouse_code: warehouseCode,
    reference: order.channel_order_code,
    ...(settings.param_use_channel_order_code ? { document_number: order.channel_order_code } : {}),
    ...(settings.param_rep_code !== undefined ? { rep_code: settings.param_rep_code } : {}),
    order_lines: orderLines,
  };
  return document;
}
