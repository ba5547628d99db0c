/**
 * Validation errors of the domain: one error class for a record that cannot be used, and the
 * translation of zod's issues into a field path and a short human reason.
 *
 * Pure code: no I/O, safe inside Temporal workflows.
 */
import type { z } from 'zod';

/** What is wrong with one record: which record, which field, and why. */
export interface ValidationProblem {
  /** The code of the record: an order's channel_order_code, a product's SKU / STOCKCODE, a connection id. */
  record: string;
  /** The field's path in the record, e.g. `line_items[2].sku` or a setting name such as `param_shipping_code`. */
  field: string;
  /** A short human reason, e.g. `required`, `must not be negative`. */
  reason: string;
}

/**
 * A record (an order, a connection) that a person must fix before it can be used. Never worth
 * retrying: activities should classify it as non-retryable.
 *
 * Message: `Order WEB-1001: line_items[2].sku: required`.
 */
export class DomainValidationError extends Error {
  override readonly name = 'DomainValidationError';
  /** What kind of record this is: `Order`, `Connection`, `Product`. */
  readonly recordType: string;
  readonly record: string;
  readonly field: string;
  readonly reason: string;

  constructor(problem: ValidationProblem & { recordType?: string }) {
    const recordType = problem.recordType ?? 'Record';
    super(`${recordType} ${problem.record}: ${problem.field}: ${problem.reason}`);
    this.recordType = recordType;
    this.record = problem.record;
    this.field = problem.field;
    this.reason = problem.reason;
  }

  /** The plain details, for logs, reports and Temporal failure details. */
  toJSON(): ValidationProblem & { recordType: string; message: string } {
    return {
      recordType: this.recordType,
      record: this.record,
      field: this.field,
      reason: this.reason,
      message: this.message,
    };
  }
}

/** `['line_items', 2, 'sku']` → `line_items[2].sku`. An empty path names the whole record. */
export function formatFieldPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text === '' ? '(record)' : text;
}

function valueAtPath(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

const DEFAULT_MESSAGE = /^(Invalid input|Invalid option|Too small|Too big|Invalid)/;

/** A short human reason for one zod issue; `input` is the raw record, used to tell "missing" apart. */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const value = valueAtPath(input, issue.path);
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && value == null) {
    return 'required';
  }
  if (!DEFAULT_MESSAGE.test(issue.message)) return issue.message; // a message written in the schema
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be a whole number';
      return `must be ${withArticle(issue.expected)} (got ${describeValue(value)})`;
    case 'too_small':
      if ((issue.origin === 'string' || issue.origin === 'array') && Number(issue.minimum) <= 1) {
        return 'must not be empty';
      }
      return issue.inclusive ? `must be at least ${issue.minimum}${unitOf(issue.origin)}` : `must be more than ${issue.minimum}${unitOf(issue.origin)}`;
    case 'too_big':
      return issue.inclusive ? `must be at most ${issue.maximum}${unitOf(issue.origin)}` : `must be less than ${issue.maximum}${unitOf(issue.origin)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${describeValue(value)})`;
    case 'invalid_format':
      return `must be a valid ${issue.format} (got ${describeValue(value)})`;
    case 'unrecognized_keys':
      return issue.keys.length > 5
        ? `unknown field(s) ${issue.keys.slice(0, 5).map(describeKey).join(', ')} and ${issue.keys.length - 5} more`
        : `unknown field(s) ${issue.keys.map(describeKey).join(', ')}`;
    default:
      return issue.message;
  }
}

/** What a size limit counts: ` characters` of text, ` entries` of a list, nothing for numbers. */
function unitOf(origin: string): string {
  if (origin === 'string') return ' characters';
  if (origin === 'array' || origin === 'set') return ' entries';
  return '';
}

function withArticle(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/**
 * The TYPE of an offending value for a reason text: `text`, `a number`, `a list`, `an object`.
 * Never the value itself: it may carry personal data, or be megabytes long.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return 'text';
  if (Array.isArray(value)) return 'a list';
  return withArticle(typeof value);
}

/** A field name from the input (an unknown key) for a reason text: short, printable. */
function describeKey(key: PropertyKey): string {
  const text = String(key).replace(/[\u0000-\u001F\u007F]/g, '?');
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** The first problem of a failed parse as `{ field, reason }` (the one a person should fix first). */
export function firstProblem(error: z.ZodError, input: unknown): { field: string; reason: string } {
  const issue = error.issues[0];
  if (!issue) return { field: '(record)', reason: 'invalid' };
  return { field: formatFieldPath(issue.path), reason: describeIssue(issue, input) };
}
