/**
 * Stock2Shop's shapes: the source product queue item we push (`POST /products/queue`) and the
 * order DTO we receive (to raise into a source).
 *
 * The queue item is OUR output: its schema is plain and exact, so a connector can check an item
 * before pushing it. The order is Stock2Shop's input to us: lenient on what is optional (nulls,
 * numbers as text, unknown keys dropped), strict on what raising needs (channel_order_code, and
 * line items with sku, qty > 0 and price ≥ 0).
 */
import { z } from 'zod';
import { DomainValidationError, firstProblem } from './validation';
import {
  CodeSchema,
  NumberLikeSchema,
  OptionalTextSchema,
  OrderQuantitySchema,
  PriceSchema,
  listOrEmpty,
} from './values';

// ---------------------------------------------------------------------------------------------
// Source product queue item
// ---------------------------------------------------------------------------------------------

/** Stock2Shop's source id: a positive whole number (numeric text accepted where we read config). */
export const Stock2ShopSourceIdSchema = z.number().int().positive();

/** `product_active` as Stock2Shop expects it: the strings "true" / "false". */
export const ProductActiveSchema = z.enum(['true', 'false']);

export const Stock2ShopQueueSourceSchema = z.object({
  source_id: Stock2ShopSourceIdSchema,
  product_active: ProductActiveSchema,
  source_product_code: z.string().min(1),
  sync_token: z.string(),
  fetch_token: z.string(),
});
export type Stock2ShopQueueSource = z.infer<typeof Stock2ShopQueueSourceSchema>;

export const PriceTierSchema = z.object({ tier: z.string().min(1), price: z.number().min(0) });
export type PriceTier = z.infer<typeof PriceTierSchema>;

export const ProductOptionSchema = z.object({ name: z.string().min(1), position: z.number().int().min(1).max(3) });
export type ProductOption = z.infer<typeof ProductOptionSchema>;

export const ProductMetaSchema = z.object({ key: z.string().min(1), value: z.string() });

export const QtyAvailabilitySchema = z.object({ description: z.string(), qty: z.number().int().min(0) });

/** The ONE variant a queue item carries. */
export const Stock2ShopQueueVariantSchema = z.object({
  source_variant_code: z.string().min(1),
  sku: z.string().min(1),
  barcode: z.string().optional(),
  qty: z.number().int().min(0),
  qty_availability: z.array(QtyAvailabilitySchema).optional(),
  price: z.number().min(0).optional(),
  price_tiers: z.array(PriceTierSchema).optional(),
  inventory_management: z.literal(true),
  grams: z.number().min(0).optional(),
  option1: z.string().optional(),
  option2: z.string().optional(),
  option3: z.string().optional(),
});
export type Stock2ShopQueueVariant = z.infer<typeof Stock2ShopQueueVariantSchema>;

export const Stock2ShopQueueProductSchema = z.object({
  title: z.string().min(1),
  body_html: z.string().optional(),
  collection: z.string().optional(),
  product_type: z.string().optional(),
  /** Comma-separated, as Stock2Shop takes them. */
  tags: z.string().optional(),
  vendor: z.string().optional(),
  options: z.array(ProductOptionSchema).optional(),
  meta: z.array(ProductMetaSchema).optional(),
  variants: Stock2ShopQueueVariantSchema,
});
export type Stock2ShopQueueProduct = z.infer<typeof Stock2ShopQueueProductSchema>;

/** One item of `POST /products/queue` `{ system_products: [item, ...] }`: one source product, one variant. */
export const Stock2ShopQueueItemSchema = z.object({
  source: Stock2ShopQueueSourceSchema,
  product: Stock2ShopQueueProductSchema,
});
export type Stock2ShopQueueItem = z.infer<typeof Stock2ShopQueueItemSchema>;

// ---------------------------------------------------------------------------------------------
// Order DTO
// ---------------------------------------------------------------------------------------------

export const Stock2ShopAddressSchema = z.object({
  address1: OptionalTextSchema,
  address2: OptionalTextSchema,
  city: OptionalTextSchema,
  company: OptionalTextSchema,
  country: OptionalTextSchema,
  country_code: OptionalTextSchema,
  first_name: OptionalTextSchema,
  last_name: OptionalTextSchema,
  phone: OptionalTextSchema,
  province: OptionalTextSchema,
  province_code: OptionalTextSchema,
  zip: OptionalTextSchema,
});
export type Stock2ShopAddress = z.infer<typeof Stock2ShopAddressSchema>;

export const Stock2ShopTaxLineSchema = z.object({
  code: OptionalTextSchema,
  price: NumberLikeSchema.nullish(),
  rate: NumberLikeSchema.nullish(),
  title: OptionalTextSchema,
});
export type Stock2ShopTaxLine = z.infer<typeof Stock2ShopTaxLineSchema>;

export const Stock2ShopOrderLineSchema = z.object({
  sku: CodeSchema,
  title: OptionalTextSchema,
  qty: OrderQuantitySchema,
  /** Unit price excluding VAT, as Stock2Shop sends it. */
  price: PriceSchema,
  total_discount: NumberLikeSchema.nullish(),
  barcode: OptionalTextSchema,
  grams: NumberLikeSchema.nullish(),
  tax_lines: listOrEmpty(Stock2ShopTaxLineSchema),
});
export type Stock2ShopOrderLine = z.infer<typeof Stock2ShopOrderLineSchema>;

export const Stock2ShopShippingLineSchema = z.object({
  title: OptionalTextSchema,
  /** A shipping line with no price counts as 0. */
  price: PriceSchema.nullish().transform((price) => price ?? 0),
  tax_lines: listOrEmpty(Stock2ShopTaxLineSchema),
});
export type Stock2ShopShippingLine = z.infer<typeof Stock2ShopShippingLineSchema>;

export const Stock2ShopCustomerSchema = z.object({
  email: OptionalTextSchema,
  first_name: OptionalTextSchema,
  last_name: OptionalTextSchema,
  channel_customer_code: OptionalTextSchema,
});
export type Stock2ShopCustomer = z.infer<typeof Stock2ShopCustomerSchema>;

/** The order's link to a source: the customer account there, and the document raised there. */
export const Stock2ShopOrderSourceSchema = z.object({
  source_id: z.union([z.number(), z.string()]).nullish(),
  source_customer_code: OptionalTextSchema,
  source_order_code: OptionalTextSchema,
});
export type Stock2ShopOrderSource = z.infer<typeof Stock2ShopOrderSourceSchema>;

export const Stock2ShopOrderSchema = z.object({
  channel_order_code: CodeSchema,
  notes: OptionalTextSchema,
  ordered_date: OptionalTextSchema,
  total_discount: NumberLikeSchema.nullish(),
  instruction: OptionalTextSchema,
  customer: Stock2ShopCustomerSchema.nullish(),
  billing_address: Stock2ShopAddressSchema.nullish(),
  shipping_address: Stock2ShopAddressSchema.nullish(),
  line_items: z
    .array(Stock2ShopOrderLineSchema, { error: (issue) => (issue.input == null ? 'required' : 'must be a list') })
    .min(1, { error: 'must have at least one line' }),
  shipping_lines: listOrEmpty(Stock2ShopShippingLineSchema),
  sources: listOrEmpty(Stock2ShopOrderSourceSchema),
});
/** An order after validation (numbers are numbers, blanks are undefined, missing lists are []). */
export type Stock2ShopOrder = z.infer<typeof Stock2ShopOrderSchema>;
/** An order as Stock2Shop may send it (what `Stock2ShopOrderSchema` accepts). */
export type Stock2ShopOrderInput = z.input<typeof Stock2ShopOrderSchema>;

/** The order's code for messages, read from raw input without trusting it. */
export function orderCodeOf(input: unknown): string {
  if (input !== null && typeof input === 'object') {
    const code = (input as { channel_order_code?: unknown }).channel_order_code;
    if ((typeof code === 'string' && code.trim() !== '') || typeof code === 'number') return String(code).trim();
  }
  return '(no channel_order_code)';
}

/**
 * Validates an order from Stock2Shop. Throws `DomainValidationError` naming the order and the
 * first bad field, e.g. `Order WEB-1001: line_items[2].sku: required`.
 */
export function parseStock2ShopOrder(input: unknown): Stock2ShopOrder {
  const result = Stock2ShopOrderSchema.safeParse(input);
  if (result.success) return result.data;
  const { field, reason } = firstProblem(result.error, input);
  throw new DomainValidationError({ recordType: 'Order', record: orderCodeOf(input), field, reason });
}
