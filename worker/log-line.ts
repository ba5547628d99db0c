/**
 * One JSON log line, the same shape for workers, the intake and the codec server:
 * `{"time","level","component","message",…}`, `time` an ISO 8601 UTC instant and `level` one of
 * `trace`, `debug`, `info`, `warn`, `error` (the Temporal runtime's `WARN` is written `warn`, as the
 * intake's and the connection registry's own). The one place that keeps secrets out of logs: task
 * tokens are dropped, errors become their type and message, and every configured secret value is
 * replaced wherever it appears.
 */
import { scrub } from '../connectors/redaction';

export type LogFields = Record<string, unknown>;

const DROPPED_KEYS = new Set(['taskToken', 'base64TaskToken']);

function errorFields(error: Error): LogFields {
  const type = (error as { type?: unknown }).type;
  return { type: typeof type === 'string' ? type : error.name, message: error.message };
}

function clean(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return scrub(value, secrets);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return clean(errorFields(value), secrets, depth);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => clean(item, secrets, depth + 1));
  const out: LogFields = {};
  for (const [key, item] of Object.entries(value)) {
    if (!DROPPED_KEYS.has(key)) out[key] = clean(item, secrets, depth + 1);
  }
  return out;
}

export function formatLogLine(line: { time?: Date; level: string; component: string; message: string } & LogFields, secrets: readonly string[] = []): string {
  const { time, level, component, message, ...fields } = line;
  const record = { time: (time ?? new Date()).toISOString(), level: level.toLowerCase(), component, message, ...fields };
  return `${JSON.stringify(clean(record, secrets, 0))}\n`;
}
