/**
 * The rules every source shares (one implementation, used by iSync and Omni Accounts alike):
 * the product-active flag, stock quantities and prices.
 *
 * Pure code: no I/O, safe inside Temporal workflows.
 */

/** The three values a source's product-active field may hold (iSync `WebSale`, Omni `EXTRADTLS8`). */
export const PRODUCT_ACTIVE_FLAGS = ['ACTIVE', 'DELETE', 'IGNORE'] as const;
export type ProductActiveFlag = (typeof PRODUCT_ACTIVE_FLAGS)[number];

/**
 * What to do with a product, decided by its product-active flag:
 * - `push`: send it to Stock2Shop with `product_active` "true" (ACTIVE) or "false" (DELETE: Stock2Shop removes it);
 * - `ignored`: never send it (IGNORE);
 * - `invalid`: the flag is none of the three; the record is reported, the others carry on.
 */
export type ProductLifecycleDecision =
  | { action: 'push'; flag: 'ACTIVE' | 'DELETE'; product_active: 'true' | 'false' }
  | { action: 'ignored'; flag: 'IGNORE' }
  | { action: 'invalid'; reason: string };

/**
 * Reads a product-active flag: trimmed and case-insensitive (` active `, `Active`, `ACTIVE` are one value).
 * Anything else (including a missing value) is invalid for that record only.
 */
export function decideProductLifecycle(value: unknown): ProductLifecycleDecision {
  if (value === undefined || value === null) {
    return { action: 'invalid', reason: 'required (one of ACTIVE, DELETE, IGNORE)' };
  }
  if (typeof value !== 'string') {
    return { action: 'invalid', reason: `must be one of ACTIVE, DELETE, IGNORE (got a ${typeof value})` };
  }
  const flag = value.trim().toUpperCase();
  switch (flag) {
    case 'ACTIVE':
      return { action: 'push', flag, product_active: 'true' };
    case 'DELETE':
      return { action: 'push', flag, product_active: 'false' };
    case 'IGNORE':
      return { action: 'ignored', flag };
    default:
      return {
        action: 'invalid',
        reason: `must be one of ACTIVE, DELETE, IGNORE (got ${JSON.stringify(value)})`,
      };
  }
}

/**
 * A stock level as Stock2Shop wants it: a whole number, never negative.
 * - negative → 0 (a source may show negative stock after overselling; Stock2Shop gets 0);
 * - fractional → rounded DOWN (2.7 → 2): a shop must never offer a unit that is not wholly there.
 * The input must already be a finite number (see `parseNumberLike`).
 */
export function normaliseStockQuantity(quantity: number): number {
  if (!Number.isFinite(quantity) || quantity <= 0) return 0;
  return Math.floor(quantity);
}

/** Numbers written as text: `12`, `12.50`, ` -3 `, `.5`, `1e3`. No thousands separators, no currency signs. */
const NUMERIC_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A number from a source field: a finite number, or a numeric string (`"12.50"` → 12.5, trimmed).
 * Anything else (`"abc"`, `""`, `"R12"`, `"1,000"`, booleans, NaN, Infinity) is rejected with a reason.
 */
export function parseNumberLike(value: unknown): { ok: true; value: number } | { ok: false; reason: string } {
  if (value === undefined || value === null) return { ok: false, reason: 'required' };
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { ok: true, value } : { ok: false, reason: 'must be a finite number' };
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (NUMERIC_TEXT.test(text)) {
      const parsed = Number(text);
      if (Number.isFinite(parsed)) return { ok: true, value: parsed };
    }
    return { ok: false, reason: `must be a number (got ${JSON.stringify(value)})` };
  }
  return { ok: false, reason: `must be a number (got a ${typeof value})` };
}

/** A price: a number ≥ 0, or a numeric string. Negative prices are rejected, never clamped. */
export function parsePrice(value: unknown): { ok: true; value: number } | { ok: false; reason: string } {
  const parsed = parseNumberLike(value);
  if (!parsed.ok) return parsed;
  if (parsed.value < 0) return { ok: false, reason: `must not be negative (got ${parsed.value})` };
  return parsed;
}

/** Rounds away floating-point noise from sums of money (0.1 + 0.2 → 0.3), keeping 6 decimals. */
export function roundMoney(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}
