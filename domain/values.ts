/**
 * Zod building blocks for values that arrive from outside systems, built on the shared rules of
 * `lifecycle.ts`: codes, optional text, numbers that may come as text, prices and quantities.
 */
import { z } from 'zod';
import { normaliseStockQuantity, parseNumberLike } from './lifecycle';

/** A number, or a numeric string such as `"12.50"`; output is a finite number. */
export const NumberLikeSchema = z
  .union([z.number(), z.string()], {
    error: (issue) => (issue.input == null ? 'required' : `must be a number (got a ${typeof issue.input})`),
  })
  .transform((value, ctx) => {
    const parsed = parseNumberLike(value);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  });

/** A price: number ≥ 0 (numeric strings accepted). */
export const PriceSchema = NumberLikeSchema.pipe(z.number().min(0, { error: 'must not be negative' }));

/** A stock level from a source: any number, normalised to a whole number ≥ 0 (negative → 0, fraction → floor). */
export const StockQuantitySchema = NumberLikeSchema.transform(normaliseStockQuantity);

/** A quantity ordered: a whole number > 0 (numeric strings accepted). */
export const OrderQuantitySchema = NumberLikeSchema.pipe(
  z.number().int({ error: 'must be a whole number' }).positive({ error: 'must be more than 0' }),
);

/** A code or identifier: text (numbers accepted and written as text), trimmed, never empty. */
export const CodeSchema = z
  .union([z.string(), z.number()], {
    error: (issue) => (issue.input == null ? 'required' : `must be text (got a ${typeof issue.input})`),
  })
  .transform((value) => String(value).trim())
  .pipe(z.string().min(1, { error: 'must not be empty' }));

/** Optional text: null, missing and blank all become `undefined`; numbers are written as text; trimmed. */
export const OptionalTextSchema = z
  .union([z.string(), z.number()], { error: (issue) => `must be text (got a ${typeof issue.input})` })
  .nullish()
  .transform((value) => {
    if (value === undefined || value === null) return undefined;
    const text = String(value).trim();
    return text === '' ? undefined : text;
  });

/** An optional list: null or missing becomes `[]`. */
export function listOrEmpty<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullish()
    .transform((list): z.output<T>[] => list ?? []);
}

/** Required text (a title, a description): trimmed, never empty; numbers are written as text. */
export const RequiredTextSchema = CodeSchema;
