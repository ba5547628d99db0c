/**
 * Stock2Shop's shapes: the source product queue item we push (`POST /products/queue`) and the
 * order DTO we receive (to raise into a source).
 *
 * The queue item is OUR output: its schema is plain and exact, so a connector can check an item
 * before pushing it. The order is Stock2Shop's input to us: lenient on what is optional (nulls,
 * numbers as text, unknown keys dropped), strict on what raising needs (channel_order_code, held
 * to the code policy of order-code.ts, and line items with sku, qty > 0 and price ≥ 0), and closed to hostile input: every text is bounded
 * (codes 100 characters, names/address/phone/e-mail 255, titles 500, notes 5,000), no text holds
 * control characters (notes may hold tab, CR, LF), lists are bounded (500 lines, 50 shipping
 * lines), numbers are finite, and a SKU appears on one line only. Reasons never quote a value.
 */
import { z } from 'zod';
import { DomainValidationError, describeValue, firstProblem } from './validation';
import { escapeOrderCode, orderCodeProblem } from './order-code';
import {
  MAX_CODE_LENGTH,
  MAX_NOTE_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  MAX_TITLE_LENGTH,
  NumberLikeSchema,
  OrderQuantitySchema,
  PriceSchema,
  boundedCode,
  boundedList,
  boundedText,
  optionalBoundedList,
  textProblem,
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

/** At most this many line items on one order. */
export const MAX_ORDER_LINES = 500;
/** At most this many shipping lines on one order. */
export const MAX_SHIPPING_LINES = 50;
/** At most this many tax lines on one line, and `sources` entries on one order. */
export const MAX_TAX_LINES = 50;
export const MAX_ORDER_SOURCES = 50;

/** Codes: order code, SKU, customer and source codes, barcodes, tax codes. */
/**
 * A SKU (or another code): trimmed text, never empty, at most 100 characters, no control characters.
 * An order's own code is held to the code policy instead (`ChannelOrderCodeSchema`, order-code.ts).
 */
export const OrderCodeSchema = boundedCode(MAX_CODE_LENGTH);
/**
 * An order code as a notification or Stock2Shop's list carries it, before the code policy: text or
 * a number, trimmed, not empty, at most 100 characters. What the intake and the poll deliver, so an
 * order whose code the policy refuses still reaches its workflow, which refuses it with the reason
 * and tells Stock2Shop.
 */
export const DeliveredOrderCodeSchema = z
  .union([z.string(), z.number()], {
    error: (issue) => (issue.input == null ? 'required' : `must be text (got ${describeValue(issue.input)})`),
  })
  .transform((value) => String(value).trim())
  .pipe(
    z
      .string()
      .min(1, { error: 'must not be empty' })
      .max(MAX_CODE_LENGTH, { error: `must be at most ${MAX_CODE_LENGTH} characters` }),
  );
/** An order's `channel_order_code`: a delivered code the code policy accepts (`orderCodeProblem`). */
export const ChannelOrderCodeSchema = DeliveredOrderCodeSchema.transform((code, ctx) => {
  const problem = orderCodeProblem(code);
  if (problem === undefined) return code;
  ctx.addIssue({ code: 'custom', message: problem });
  return z.NEVER;
});
const OptionalCodeSchema = boundedText({ max: MAX_CODE_LENGTH });
/** Names, address fields, phone numbers, e-mail addresses. */
const ShortTextSchema = boundedText({ max: MAX_SHORT_TEXT_LENGTH });
const TitleSchema = boundedText({ max: MAX_TITLE_LENGTH });
/** Free text that may run over several lines (tab, CR and LF allowed). */
const NoteSchema = boundedText({ max: MAX_NOTE_LENGTH, multiline: true });

/** A Stock2Shop source id on an order: a number, or text (kept as sent, text bounded like a code). */
const OrderSourceIdSchema = z
  .union([z.number(), z.string()], { error: (issue) => `must be a number or text (got ${describeValue(issue.input)})` })
  .nullish()
  .transform((value, ctx) => {
    if (typeof value !== 'string') return value;
    const problem = textProblem(value.trim(), { max: MAX_CODE_LENGTH });
    if (problem === undefined) return value;
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });

export const Stock2ShopAddressSchema = z.object({
  address1: ShortTextSchema,
  address2: ShortTextSchema,
  city: ShortTextSchema,
  company: ShortTextSchema,
  country: ShortTextSchema,
  country_code: ShortTextSchema,
  first_name: ShortTextSchema,
  last_name: ShortTextSchema,
  phone: ShortTextSchema,
  province: ShortTextSchema,
  province_code: ShortTextSchema,
  zip: ShortTextSchema,
});
export type Stock2ShopAddress = z.infer<typeof Stock2ShopAddressSchema>;

export const Stock2ShopTaxLineSchema = z.object({
  code: OptionalCodeSchema,
  price: NumberLikeSchema.nullish(),
  rate: NumberLikeSchema.nullish(),
  title: TitleSchema,
});
export type Stock2ShopTaxLine = z.infer<typeof Stock2ShopTaxLineSchema>;

export const Stock2ShopOrderLineSchema = z.object({
  sku: OrderCodeSchema,
  title: TitleSchema,
  qty: OrderQuantitySchema,
  /** Unit price excluding VAT, as Stock2Shop sends it. */
  price: PriceSchema,
  total_discount: NumberLikeSchema.nullish(),
  barcode: OptionalCodeSchema,
  grams: NumberLikeSchema.nullish(),
  tax_lines: optionalBoundedList(Stock2ShopTaxLineSchema, { max: MAX_TAX_LINES, noun: 'tax lines' }),
});
export type Stock2ShopOrderLine = z.infer<typeof Stock2ShopOrderLineSchema>;

export const Stock2ShopShippingLineSchema = z.object({
  title: TitleSchema,
  /** A shipping line with no price counts as 0. */
  price: PriceSchema.nullish().transform((price) => price ?? 0),
  tax_lines: optionalBoundedList(Stock2ShopTaxLineSchema, { max: MAX_TAX_LINES, noun: 'tax lines' }),
});
export type Stock2ShopShippingLine = z.infer<typeof Stock2ShopShippingLineSchema>;

export const Stock2ShopCustomerSchema = z.object({
  email: ShortTextSchema,
  first_name: ShortTextSchema,
  last_name: ShortTextSchema,
  channel_customer_code: OptionalCodeSchema,
});
export type Stock2ShopCustomer = z.infer<typeof Stock2ShopCustomerSchema>;

/** The order's link to a source: the customer account there, and the document raised there. */
export const Stock2ShopOrderSourceSchema = z.object({
  source_id: OrderSourceIdSchema,
  source_customer_code: OptionalCodeSchema,
  source_order_code: OptionalCodeSchema,
});
export type Stock2ShopOrderSource = z.infer<typeof Stock2ShopOrderSourceSchema>;

/** The order's lines: 1 to 500, each SKU (trimmed, case-insensitive) at most once. */
const OrderLinesSchema = boundedList(Stock2ShopOrderLineSchema, {
  min: 1,
  minReason: 'must have at least one line',
  max: MAX_ORDER_LINES,
  noun: 'lines',
}).superRefine((lines, ctx) => {
  const firstLineOf = new Map<string, number>();
  lines.forEach((line, index) => {
    const key = line.sku.toLowerCase();
    const first = firstLineOf.get(key);
    if (first === undefined) firstLineOf.set(key, index);
    else ctx.addIssue({ code: 'custom', path: [index, 'sku'], message: `duplicates line_items[${first}].sku` });
  });
});

export const Stock2ShopOrderSchema = z.object({
  channel_order_code: ChannelOrderCodeSchema,
  notes: NoteSchema,
  ordered_date: OptionalCodeSchema,
  total_discount: NumberLikeSchema.nullish(),
  instruction: OptionalCodeSchema,
  customer: Stock2ShopCustomerSchema.nullish(),
  billing_address: Stock2ShopAddressSchema.nullish(),
  shipping_address: Stock2ShopAddressSchema.nullish(),
  line_items: OrderLinesSchema,
  shipping_lines: optionalBoundedList(Stock2ShopShippingLineSchema, { max: MAX_SHIPPING_LINES, noun: 'lines' }),
  sources: optionalBoundedList(Stock2ShopOrderSourceSchema, { max: MAX_ORDER_SOURCES }),
});
/** An order after validation (numbers are numbers, blanks are undefined, missing lists are []). */
export type Stock2ShopOrder = z.infer<typeof Stock2ShopOrderSchema>;
/** An order as Stock2Shop may send it (what `Stock2ShopOrderSchema` accepts). */
export type Stock2ShopOrderInput = z.input<typeof Stock2ShopOrderSchema>;

/**
 * The order's code for messages, read from raw input without trusting it: a code that could be
 * delivered (text or number, at most 100 characters) is quoted, as `escapeOrderCode` shows it.
 */
export function orderCodeOf(input: unknown): string {
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const code = DeliveredOrderCodeSchema.safeParse((input as { channel_order_code?: unknown }).channel_order_code);
    if (code.success) return escapeOrderCode(code.data);
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
