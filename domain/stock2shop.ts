/**
 * Stock2Shop's shapes: the source product queue item we push (`POST /products/queue`) and the
 * order DTO we receive (to raise into a source).
 *
 * The queue item is OUR output: its schema is plain and exact, so a connector can check an item
 * before pushing it. The order is Stock2Shop's input to us: lenient on what is optional (nulls,
 * numbers as text, unknown keys left out and counted by `unknownOrderFields`), strict on what
 * raising needs (channel_order_code, held to the code policy of order-code.ts, and line items with
 * sku, qty > 0 and price ≥ 0, each SKU on one line only), and bounded engine-wide against hostile
 * input, for memory only: every text at most 10,000 characters, lists bounded (500 lines, 50 shipping
 * lines), numbers finite. No character and no business length is refused here: each source's mapping
 * holds the fields it receives to that source's rules (source-limits.ts). One-line text (names,
 * addresses, titles) has its whitespace collapsed. Reasons never quote a value.
 */
import { z } from 'zod';
import { DomainValidationError, describeValue, firstProblem } from './validation';
import { escapeOrderCode, orderCodeProblem } from './order-code';
import { MAX_CODE_LENGTH, NumberLikeSchema, OrderQuantitySchema, PriceSchema, boundedCode, boundedList, optionalBoundedList, textProblem } from './values';

// ---------------------------------------------------------------------------------------------
// Source product queue item
// ---------------------------------------------------------------------------------------------

// Three fields the developer guide's full model writes as text ("{source_id}", "1", "true") are sent typed:
// Stock2Shop's DTOs read them with intFrom/boolFrom (stock2shop/share src/DTO/DTO.php), which take text
// and typed values alike, and its read side returns the typed value (website content/api/products.md).
// Typed values also keep every product's content hash, so a change of form would not re-push a catalog.
/** Stock2Shop's source id: sent as a number (share's SystemProduct and the read side hold an int; the guide's "{source_id}" is a placeholder). */
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

/** `position` is sent as a number: share's ProductOption holds `?int position`, and the read side returns `"position": 1`. */
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
  /** Sent as the boolean true (the seeds' hard-coded "true"): share's Variant holds `?bool`, the read side returns `true`. */
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

// The engine-wide bounds: generous, for memory and for one Temporal payload, never a source's business
// rule (those are in source-limits.ts, applied by each mapping to the fields its source receives).

/** At most this many line items: with Omni's 500-character descriptions the document stays far below Temporal's 2 MB payload limit. */
export const MAX_ORDER_LINES = 500;
/** At most this many shipping lines on one order. */
export const MAX_SHIPPING_LINES = 50;
/** At most this many tax lines on one line, and `sources` entries on one order. */
export const MAX_TAX_LINES = 50;
export const MAX_ORDER_SOURCES = 50;
/** At most this many `meta` entries, and `params` keys, on one order. */
export const MAX_ORDER_META = 1000;
/** The longest text of any order field (far above any source's limit: memory only). */
export const MAX_ORDER_TEXT_LENGTH = 10_000;

/**
 * A code as the engine bounds its own: trimmed text, never empty, at most 100 characters, no control
 * characters. No longer applied to an order's SKU, which its source's rule holds (source-limits.ts).
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

/** How an order's text is read: `code` as sent, `line` with its whitespace collapsed, `multiline` (notes) as sent. */
type OrderTextKind = 'code' | 'line' | 'multiline';

/** Runs of whitespace (line breaks and tabs of a web form's text area included) inside one-line text. */
const WHITESPACE_RUN = /\s+/g;

/** Order text as read: trimmed, one-line text with each run of whitespace collapsed to one space. */
function readText(value: string | number, kind: OrderTextKind): string {
  const trimmed = String(value).trim();
  return kind === 'line' ? trimmed.replace(WHITESPACE_RUN, ' ') : trimmed;
}
const TOO_LONG = `must be at most ${MAX_ORDER_TEXT_LENGTH} characters`;

/**
 * Optional order text: text or a number, trimmed, blank as undefined, at most `MAX_ORDER_TEXT_LENGTH`
 * characters, and no character refused (a source's own rule applies where it receives the field).
 */
function orderText(kind: OrderTextKind) {
  return z
    .union([z.string(), z.number()], { error: (issue) => `must be text (got ${describeValue(issue.input)})` })
    .nullish()
    .transform((value, ctx) => {
      if (value === undefined || value === null) return undefined;
      const text = readText(value, kind);
      if (text.length <= MAX_ORDER_TEXT_LENGTH) return text === '' ? undefined : text;
      ctx.addIssue({ code: 'custom', message: TOO_LONG });
      return z.NEVER;
    });
}
const OptionalCodeSchema = orderText('code');
const LineTextSchema = orderText('line');
/** A line's SKU: required (it names the line), bounded like any order text; its source holds it to its own rule. */
const LineSkuSchema = z
  .union([z.string(), z.number()], {
    error: (issue) => (issue.input == null ? 'required' : `must be text (got ${describeValue(issue.input)})`),
  })
  .transform((value, ctx) => {
    const sku = readText(value, 'code');
    if (sku !== '' && sku.length <= MAX_ORDER_TEXT_LENGTH) return sku;
    ctx.addIssue({ code: 'custom', message: sku === '' ? 'must not be empty' : TOO_LONG });
    return z.NEVER;
  });

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

/** An address: every field one line of text (a line break typed into a web form's text area becomes a space). */
export const Stock2ShopAddressSchema = z.object({
  address1: LineTextSchema,
  address2: LineTextSchema,
  city: LineTextSchema,
  company: LineTextSchema,
  country: LineTextSchema,
  country_code: LineTextSchema,
  first_name: LineTextSchema,
  last_name: LineTextSchema,
  phone: LineTextSchema,
  province: LineTextSchema,
  province_code: LineTextSchema,
  zip: LineTextSchema,
});
export type Stock2ShopAddress = z.infer<typeof Stock2ShopAddressSchema>;

export const Stock2ShopTaxLineSchema = z.object({
  code: OptionalCodeSchema,
  price: NumberLikeSchema.nullish(),
  rate: NumberLikeSchema.nullish(),
  title: LineTextSchema,
});
export type Stock2ShopTaxLine = z.infer<typeof Stock2ShopTaxLineSchema>;

export const Stock2ShopOrderLineSchema = z.object({
  sku: LineSkuSchema,
  title: LineTextSchema,
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
  title: LineTextSchema,
  /** A shipping line with no price counts as 0. */
  price: PriceSchema.nullish().transform((price) => price ?? 0),
  tax_lines: optionalBoundedList(Stock2ShopTaxLineSchema, { max: MAX_TAX_LINES, noun: 'tax lines' }),
});
export type Stock2ShopShippingLine = z.infer<typeof Stock2ShopShippingLineSchema>;

export const Stock2ShopCustomerSchema = z.object({
  email: LineTextSchema,
  first_name: LineTextSchema,
  last_name: LineTextSchema,
  channel_customer_code: OptionalCodeSchema,
});
export type Stock2ShopCustomer = z.infer<typeof Stock2ShopCustomerSchema>;

/** The order's link to a source: the customer account there, the document raised there, or why it was cancelled. */
export const Stock2ShopOrderSourceSchema = z.object({
  source_id: OrderSourceIdSchema,
  source_customer_code: OptionalCodeSchema,
  source_order_code: OptionalCodeSchema,
  cancelled_reason: orderText('multiline'),
});
export type Stock2ShopOrderSource = z.infer<typeof Stock2ShopOrderSourceSchema>;

/** A `meta` entry or `params` value as the mappings read it: key and value as text. */
export interface ChannelValue {
  key: string;
  value: string;
}
/** A key or value Stock2Shop's DTO would read as text (`stringFrom`: text, a number, a boolean). */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  return undefined;
}
/**
 * The channel's `meta` (`[{key, value}]`): every entry with a key and a text value, kept as sent; an
 * entry of another shape is never refused, only not read (the order's summary counts it).
 */
const OrderMetaSchema = boundedList(z.unknown(), { max: MAX_ORDER_META })
  .nullish()
  .transform((entries): ChannelValue[] =>
    (entries ?? []).flatMap((entry) => {
      if (entry === null || typeof entry !== 'object') return [];
      const key = asText((entry as { key?: unknown }).key)?.trim();
      const value = asText((entry as { value?: unknown }).value);
      return key && value !== undefined ? [{ key, value }] : [];
    }),
  );
/** The channel's `params` (`{key: value}`; PHP sends an empty one as `[]`), read as `meta` is. */
const OrderParamsSchema = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown())], { error: 'must be an object of key and value' })
  .nullish()
  .transform((params, ctx): Record<string, string> => {
    const entries = Object.entries(params ?? {});
    if (entries.length > MAX_ORDER_META) {
      ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_ORDER_META} entries` });
      return z.NEVER;
    }
    return Object.fromEntries(entries.flatMap(([key, value]) => (asText(value) === undefined ? [] : [[key, asText(value)!]])));
  });

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
  notes: orderText('multiline'),
  ordered_date: OptionalCodeSchema,
  total_discount: NumberLikeSchema.nullish(),
  instruction: OptionalCodeSchema,
  customer: Stock2ShopCustomerSchema.nullish(),
  billing_address: Stock2ShopAddressSchema.nullish(),
  shipping_address: Stock2ShopAddressSchema.nullish(),
  line_items: OrderLinesSchema,
  shipping_lines: optionalBoundedList(Stock2ShopShippingLineSchema, { max: MAX_SHIPPING_LINES, noun: 'lines' }),
  sources: optionalBoundedList(Stock2ShopOrderSourceSchema, { max: MAX_ORDER_SOURCES }),
  meta: OrderMetaSchema,
  params: OrderParamsSchema,
});
/** An order after validation (numbers are numbers, blanks are undefined, missing lists are []). */
export type Stock2ShopOrder = z.infer<typeof Stock2ShopOrderSchema>;
/** An order as Stock2Shop may send it (what `Stock2ShopOrderSchema` accepts). */
export type Stock2ShopOrderInput = z.input<typeof Stock2ShopOrderSchema>;

/** The `meta` keys and `params` a mapping reads (order-values.ts); any other is counted as not used. */
export const CHANNEL_VALUE_KEYS: readonly string[] = ['source_customer_code', 'warehouse_code'];

type KeySet = ReadonlySet<string>;
const keysOf = (schema: z.ZodObject): KeySet => new Set(Object.keys(schema.shape));
const ORDER_KEYS = keysOf(Stock2ShopOrderSchema);
const ADDRESS_KEYS = keysOf(Stock2ShopAddressSchema);
const LINE_KEYS = keysOf(Stock2ShopOrderLineSchema);
const TAX_LINE_KEYS = keysOf(Stock2ShopTaxLineSchema);
const SHIPPING_LINE_KEYS = keysOf(Stock2ShopShippingLineSchema);
const NESTED: Record<string, { keys: KeySet; list: boolean; nested?: Record<string, KeySet> }> = {
  customer: { keys: keysOf(Stock2ShopCustomerSchema), list: false },
  billing_address: { keys: ADDRESS_KEYS, list: false },
  shipping_address: { keys: ADDRESS_KEYS, list: false },
  line_items: { keys: LINE_KEYS, list: true, nested: { tax_lines: TAX_LINE_KEYS } },
  shipping_lines: { keys: SHIPPING_LINE_KEYS, list: true, nested: { tax_lines: TAX_LINE_KEYS } },
  sources: { keys: keysOf(Stock2ShopOrderSourceSchema), list: true },
};

/** A field name from the input, for a summary: printable and short (names only, never a value). */
function shownKey(key: string): string {
  const text = key.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '?');
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
const objectsIn = (value: unknown): Record<string, unknown>[] =>
  (Array.isArray(value) ? value : [value]).filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object' && !Array.isArray(item));

/** Keys of `objects` outside `known`, as `<path>.<key>`, each once; nested lists as `<path>.<list>[]`. */
function unknownKeys(objects: Record<string, unknown>[], path: string, known: KeySet, nested: Record<string, KeySet> = {}): string[] {
  const names: string[] = [];
  for (const object of objects) {
    for (const [key, value] of Object.entries(object)) {
      if (!known.has(key)) names.push(`${path}.${shownKey(key)}`);
      else if (nested[key]) names.push(...unknownKeys(objectsIn(value), `${path}.${key}[]`, nested[key]));
    }
  }
  return names;
}

/** `meta` entries and `params` no mapping reads (or whose value is not text): `meta.<key>`, `meta[<i>]` for no key, `params.<key>`. */
function unreadChannelValues(raw: Record<string, unknown>): string[] {
  const names: string[] = [];
  const unread = (key: string, value: unknown) => !CHANNEL_VALUE_KEYS.includes(key) || asText(value) === undefined;
  const meta = Array.isArray(raw.meta) ? (raw.meta as unknown[]) : [];
  meta.forEach((entry, index) => {
    const { key, value } = (entry ?? {}) as { key?: unknown; value?: unknown };
    const name = asText(key)?.trim();
    if (!name) names.push(`meta[${index}]`);
    else if (unread(name, value)) names.push(`meta.${shownKey(name)}`);
    names.push(...unknownKeys(objectsIn(entry), 'meta[]', new Set(['key', 'value'])));
  });
  const params = raw.params !== null && typeof raw.params === 'object' ? Object.entries(raw.params) : [];
  for (const [key, value] of params) if (unread(key, value)) names.push(`params.${shownKey(key)}`);
  return names;
}

/**
 * The fields of an order (as received, already parsed once: its lists are bounded) that the engine
 * does not read: names only, each once (`channel_id`, `line_items[].fulfillments`, `meta.gift_note`),
 * never a value, since values may be personal data.
 */
export function unknownOrderFields(raw: unknown): string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const order = raw as Record<string, unknown>;
  const names: string[] = [];
  for (const [key, value] of Object.entries(order)) {
    if (!ORDER_KEYS.has(key)) names.push(shownKey(key));
    const nested = NESTED[key];
    if (nested) names.push(...unknownKeys(objectsIn(value), nested.list ? `${key}[]` : key, nested.keys, nested.nested));
  }
  return [...new Set([...names, ...unreadChannelValues(order)])];
}

/** How many fields `unknownOrderFields` found, and which (the first ten): `3 fields not used: a, b, c`; undefined for none. */
export function describeUnknownOrderFields(names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const shown = names.slice(0, 10).join(', ');
  const more = names.length > 10 ? `, and ${names.length - 10} more` : '';
  return `${names.length} ${names.length === 1 ? 'field' : 'fields'} not used: ${shown}${more}`;
}

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
