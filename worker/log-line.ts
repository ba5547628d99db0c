/**
 * One JSON log line, the same shape for workers, the intake and the codec server:
 * `{"time","level","component","message",…}`, `time` an ISO 8601 UTC instant and `level` one of
 * `trace`, `debug`, `info`, `warn`, `error` (the Temporal runtime's `WARN` is written `warn`, as the
 * intake's and the connection registry's own). The one place that keeps secrets out of logs: task
 * tokens are dropped, errors become their type and message, and every configured secret value is
 * replaced wherever it appears, whatever its length. No line holds a control, bidi or invisible
 * character either (an order code that carries one is written `\u202E`): a line cannot disguise itself.
 */
import { escapeUnsafeCharacters } from '../domain/order-code';
import { scrub, scrubSecrets, secretSpellings } from '../connectors/redaction';

export type LogFields = Record<string, unknown>;

const DROPPED_KEYS = new Set(['taskToken', 'base64TaskToken']);

/** Errors whose message quotes a source's own words, which may quote a customer: kept encrypted in history, never logged. */
const SOURCE_WORDS_TYPES = new Set(['RejectedBySourceError']);

function errorFields(error: Error): LogFields {
  const raw = (error as { type?: unknown }).type;
  const type = typeof raw === 'string' ? raw : error.name;
  if (SOURCE_WORDS_TYPES.has(type)) return { type, message: "the source refused it: its words are in the workflow's history, encrypted" };
  return { type, message: error.message };
}

/** A number or a boolean that a (short) secret spells becomes the scrubbed text; any other stays as it is. */
function cleanScalar(value: number | boolean | bigint, secrets: readonly string[]): unknown {
  const text = String(value);
  const scrubbed = scrubSecrets(text, secrets);
  if (scrubbed !== text) return scrubbed;
  return typeof value === 'bigint' ? text : value;
}

function clean(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return scrub(value, secrets);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return cleanScalar(value, secrets);
  if (value instanceof Error) return clean(errorFields(value), secrets, depth);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => clean(item, secrets, depth + 1));
  const out: LogFields = {};
  for (const [key, item] of Object.entries(value)) {
    if (!DROPPED_KEYS.has(key)) out[scrubSecrets(key, secrets)] = clean(item, secrets, depth + 1);
  }
  return out;
}

/** A secret as the line's JSON text spells it (escaped as JSON, its unsafe characters as `\uXXXX`). */
const jsonSpellings = (secret: string) => [...new Set([...secretSpellings(secret), escapeUnsafeCharacters(JSON.stringify(secret).slice(1, -1))])];

export function formatLogLine(line: { time?: Date; level: string; component: string; message: string } & LogFields, secrets: readonly string[] = []): string {
  const { time, level, component, message, ...fields } = line;
  const record = { time: (time ?? new Date()).toISOString(), level: level.toLowerCase(), component, message, ...fields };
  const text = escapeUnsafeCharacters(JSON.stringify(clean(record, secrets, 0)));
  // What is left can only span the JSON's own punctuation (a key's end and a value's start).
  return `${scrubSecrets(text, secrets, jsonSpellings)}\n`;
}
