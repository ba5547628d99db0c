/**
 * Zod building blocks for values that arrive from outside systems, built on the shared rules of
 * `lifecycle.ts`: codes, optional text, numbers that may come as text, prices and quantities.
 */
import { z } from 'zod';
import { normaliseStockQuantity, parseNumberLike } from './lifecycle';

/** `a string`, `a number`, `a list`, `an object`: a value's type for a reason text (never the value). */
function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'text';
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The longest numeric text accepted (longer text is refused before it is read). */
export const MAX_NUMBER_TEXT_LENGTH = 100;

/**
 * A number, or a numeric string such as `"12.50"`; output is a finite number. Infinity, NaN and
 * text that overflows (`"1e400"`) are refused. Reasons name the type only, never the value.
 */
export const NumberLikeSchema = z
  .union([z.number(), z.string()], {
    error: (issue) => {
      if (issue.input == null) return 'required';
      if (typeof issue.input === 'number') return 'must be a finite number'; // NaN, ±Infinity
      return `must be a number (got ${typeOfValue(issue.input)})`;
    },
  })
  .transform((value, ctx) => {
    if (typeof value === 'string' && value.length > MAX_NUMBER_TEXT_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `must be a number (got text of more than ${MAX_NUMBER_TEXT_LENGTH} characters)` });
      return z.NEVER;
    }
    const parsed = parseNumberLike(value);
    if (parsed.ok) return parsed.value;
    // parseNumberLike's reasons may quote the value: say what is wrong without it.
    const overflows = typeof value === 'string' && Math.abs(Number(value.trim())) === Infinity;
    ctx.addIssue({ code: 'custom', message: overflows ? 'must be a finite number' : 'must be a number (got text)' });
    return z.NEVER;
  });

/** A price: number ≥ 0 (numeric strings accepted). */
export const PriceSchema = NumberLikeSchema.pipe(z.number().min(0, { error: 'must not be negative' }));

/** A stock level from a source: any number, normalised to a whole number ≥ 0 (negative → 0, fraction → floor). */
export const StockQuantitySchema = NumberLikeSchema.transform(normaliseStockQuantity);

/** The largest quantity one order line may ask for (a larger one is a broken or hostile order). */
export const MAX_ORDER_QUANTITY = 1_000_000;

/** A quantity ordered: a whole number > 0 and at most 1,000,000 (numeric strings accepted). */
export const OrderQuantitySchema = NumberLikeSchema.pipe(
  z
    .number()
    .max(MAX_ORDER_QUANTITY, { error: `must be at most ${MAX_ORDER_QUANTITY}` })
    .int({ error: 'must be a whole number' })
    .positive({ error: 'must be more than 0' }),
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

// ---------------------------------------------------------------------------------------------
// Bounded text: for input that may be hostile or broken (length limits, no control characters)
// ---------------------------------------------------------------------------------------------

/** Limits for codes (order codes, SKUs, customer and source codes). */
export const MAX_CODE_LENGTH = 100;
/** Limits for names, address fields, phone numbers and e-mail addresses. */
export const MAX_SHORT_TEXT_LENGTH = 255;
/** Limits for titles. */
export const MAX_TITLE_LENGTH = 500;
/** Limits for free-text notes. */
export const MAX_NOTE_LENGTH = 5000;

/** C0 control characters and DEL. */
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F]/;
/** The same, but tab, LF and CR allowed (multi-line text such as notes). */
const CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export interface TextLimits {
  /** The most characters the text may have (after trimming). */
  max: number;
  /** Allow tab, CR and LF inside the text (notes). Other control characters are always refused. */
  multiline?: boolean;
}

/** What is wrong with a (trimmed) text under `limits`, or undefined. Never quotes the text. */
export function textProblem(text: string, limits: TextLimits): string | undefined {
  if (text.length > limits.max) return `must be at most ${limits.max} characters`;
  const control = limits.multiline ? CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS : CONTROL_CHARACTERS;
  if (control.test(text)) return 'must not contain control characters';
  return undefined;
}

/**
 * A code with limits: like `CodeSchema` (text or number, trimmed, never empty) but at most
 * `max` characters and without control characters.
 */
export function boundedCode(max: number = MAX_CODE_LENGTH) {
  return z
    .union([z.string(), z.number()], {
      error: (issue) => (issue.input == null ? 'required' : `must be text (got ${typeOfValue(issue.input)})`),
    })
    .transform((value, ctx) => {
      const text = String(value).trim();
      const problem = text === '' ? 'must not be empty' : textProblem(text, { max });
      if (problem === undefined) return text;
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    });
}

/**
 * Optional text with limits: like `OptionalTextSchema` (null, missing and blank become
 * `undefined`; numbers are written as text; trimmed) but bounded and without control characters.
 */
export function boundedText(limits: TextLimits) {
  return z
    .union([z.string(), z.number()], { error: (issue) => `must be text (got ${typeOfValue(issue.input)})` })
    .nullish()
    .transform((value, ctx) => {
      if (value === undefined || value === null) return undefined;
      const text = String(value).trim();
      if (text === '') return undefined;
      const problem = textProblem(text, limits);
      if (problem === undefined) return text;
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    });
}

/**
 * A list of at most `max` items (and at least `min`, if given). Its length is checked before any
 * item is read, so a hostile list of a million entries costs nothing.
 */
export function boundedList<T extends z.ZodType>(item: T, limits: { min?: number; max: number; noun?: string; minReason?: string }) {
  const noun = limits.noun ?? 'entries';
  let list = z.array(z.unknown(), { error: (issue) => (issue.input == null ? 'required' : 'must be a list') });
  if (limits.min !== undefined) {
    list = list.min(limits.min, { error: limits.minReason ?? `must have at least ${limits.min} ${noun}` });
  }
  return list.max(limits.max, { error: `must have at most ${limits.max} ${noun}` }).pipe(z.array(item));
}

/** An optional bounded list: null or missing becomes `[]`. */
export function optionalBoundedList<T extends z.ZodType>(item: T, limits: { max: number; noun?: string }) {
  return boundedList(item, limits)
    .nullish()
    .transform((list): z.output<T>[] => list ?? []);
}
