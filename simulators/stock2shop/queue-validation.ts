/**
 * Stock2Shop's checks on `POST /products/queue`: the documented minimum fields of every item, and the
 * typed fields read as Stock2Shop's DTOs read them (stock2shop/share src/DTO/DTO.php: `intFrom` takes a
 * number or numeric text and refuses other text, `boolFrom` takes anything). The developer guide writes
 * `source_id`, `options[].position` and `inventory_management` as text (`"57"`, `"1"`, `"true"`), its read
 * side returns them as a number and a boolean: both are accepted, and held as Stock2Shop holds them.
 */
import type { QueuedProduct, QueuedSource } from './types';

export const MAX_QUEUE_BATCH = 1000;

export type QueueBatch = { items: Array<{ source: QueuedSource; product: QueuedProduct }> } | { error: string };

export function validateQueueBatch(body: unknown): QueueBatch {
  const list = isObject(body) ? body.system_products : undefined;
  if (!Array.isArray(list)) return { error: 'system_products must be an array' };
  if (list.length > MAX_QUEUE_BATCH) return { error: `system_products holds ${list.length} items; at most ${MAX_QUEUE_BATCH} per request` };
  const items: Array<{ source: QueuedSource; product: QueuedProduct }> = [];
  for (const [index, item] of list.entries()) {
    const at = `system_products[${index}]`;
    const problem = itemProblem(item, at);
    if (problem) return { error: problem };
    const { source, product } = item as { source: QueuedSource; product: QueuedProduct };
    items.push({ source: { ...source, source_id: Number(source.source_id) }, product: asHeld(product) });
  }
  return { items };
}

function itemProblem(item: unknown, at: string): string | undefined {
  if (!isObject(item)) return `${at} must be an object`;
  const { source, product } = item;
  if (!isObject(source)) return `${at}.source is required`;
  if (source.source_id === undefined || source.source_id === null) return `${at}.source.source_id is required`;
  if (!isSourceId(source.source_id)) return `${at}.source.source_id must be a positive whole number`;
  if (source.product_active === undefined) return `${at}.source.product_active is required`;
  if (source.product_active !== 'true' && source.product_active !== 'false') return `${at}.source.product_active must be "true" or "false"`;
  if (!isText(source.source_product_code)) return `${at}.source.source_product_code is required`;
  for (const token of ['sync_token', 'fetch_token'] as const) {
    const value = source[token];
    if (typeof value !== 'string' && typeof value !== 'number') return `${at}.source.${token} is required`;
  }
  if (!isObject(product)) return `${at}.product is required`;
  if (!isText(product.title)) return `${at}.product.title is required`;
  if (Array.isArray(product.variants)) return `${at}.product.variants must be one object, not an array`;
  if (!isObject(product.variants)) return `${at}.product.variants is required`;
  if (!isText(product.variants.source_variant_code)) return `${at}.product.variants.source_variant_code is required`;
  if (!isText(product.variants.sku)) return `${at}.product.variants.sku is required`;
  return optionsProblem(product.options, `${at}.product.options`);
}

/** Options that are not a list are read as none (`arrayFrom`); a position must be a number or numeric text. */
function optionsProblem(options: unknown, at: string): string | undefined {
  if (!Array.isArray(options)) return undefined;
  for (const [index, option] of options.entries()) {
    const position = isObject(option) ? option.position : undefined;
    if (position !== undefined && position !== null && intFrom(position) === undefined) return `${at}[${index}].position must be a whole number`;
  }
  return undefined;
}

/** The product as Stock2Shop holds it: option positions as whole numbers, inventory_management as a boolean. */
function asHeld(product: QueuedProduct): QueuedProduct {
  const held: QueuedProduct = { ...product, variants: { ...product.variants } };
  if (Array.isArray(product.options)) {
    held.options = product.options.map((option: unknown) =>
      isObject(option) && option.position !== undefined && option.position !== null ? { ...option, position: intFrom(option.position) } : option,
    );
  }
  if ('inventory_management' in product.variants) held.variants.inventory_management = boolFrom(product.variants.inventory_management);
  return held;
}

/** PHP's `is_numeric` text: decimal, with an optional exponent and surrounding whitespace. */
const NUMERIC_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Stock2Shop's `intFrom`: a number or numeric text, to a whole number (PHP's `(int)` truncates); other text refused. */
function intFrom(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && NUMERIC_TEXT.test(value) ? Number(value) : NaN;
  return Number.isFinite(number) ? Math.trunc(number) : undefined;
}

/** Stock2Shop's `boolFrom`: "false", "0" and "" (any case) and 0 are false, null stays null, anything else is true. */
function boolFrom(value: unknown): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return !['false', '0', ''].includes(value.toLowerCase());
  if (typeof value === 'number') return Math.trunc(value) !== 0;
  return Boolean(value);
}

function isSourceId(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0;
  return typeof value === 'string' && /^[1-9]\d*$/.test(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
