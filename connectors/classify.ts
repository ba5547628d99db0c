/** Turns an axios / network failure, or an HTTP status, into one of the connectors' typed errors. */
import { isAxiosError, type AxiosError } from 'axios';
import { ZodError } from 'zod';
import {
  AuthenticationError,
  MalformedAnswerError,
  RejectedBySourceError,
  SYSTEM_LABEL,
  TransientError,
  ConnectorError,
  type SystemName,
  type TransientErrorOptions,
} from './errors';
import { sanitize, scrub } from './redaction';

/** Codes that prove no connection was made: the request never reached the source. */
const NOT_DELIVERED_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Network error codes meaning "the source itself cannot be reached": those, and a connection lost or timed out. */
const UNREACHABLE_CODES = new Set([
  ...NOT_DELIVERED_CODES,
  'ECONNRESET',
  'ECONNABORTED', // axios' timeout code unless clarifyTimeoutError
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

/** Statuses answered by a live server that still mean "try again later". */
function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** Parses a Retry-After header: delta-seconds or an HTTP date. Returns milliseconds from `now`, never negative. */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return Math.round(raw * 1000);
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The source's own message from an error body, verbatim: `error` / `errors` / `Message` / `message` / a plain
 * text body. Returns undefined when the body says nothing usable.
 */
export function extractSourceMessage(body: unknown): string | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') {
    const text = body.trim();
    if (text === '') return undefined;
    if (text.startsWith('{') || text.startsWith('[')) {
      try {
        return extractSourceMessage(JSON.parse(text)) ?? truncate(text);
      } catch {
        /* plain text */
      }
    }
    return truncate(text);
  }
  if (Buffer.isBuffer(body)) return extractSourceMessage(body.toString('utf8'));
  if (Array.isArray(body)) {
    const parts = body.map((entry) => extractSourceMessage(entry)).filter((p): p is string => p !== undefined);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  if (typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of ['error', 'errors', 'Message', 'message', 'error_description', 'detail', 'title']) {
      const value = record[key];
      if (value === undefined || value === null) continue;
      if (typeof value === 'string') return value.trim() === '' ? undefined : value;
      if (typeof value === 'object') {
        const nested = extractSourceMessage(value);
        if (nested !== undefined) return nested;
        return truncate(JSON.stringify(value));
      }
      return String(value);
    }
    return undefined;
  }
  return String(body);
}

function truncate(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export interface ClassifyOptions {
  /** Secret values (passwords, tokens) to scrub from anything kept. */
  secrets?: readonly string[];
  /** Describes the login for AuthenticationError, e.g. `user "Guest" of company "X"`. Never a password. */
  login?: string;
  /** Overrides how the source's message is read from an error body (default: extractSourceMessage). */
  extractMessage?: (body: unknown) => string | undefined;
  /** Set when the caller aborted the request itself because its overall deadline passed. */
  deadlineExceeded?: boolean;
  /** The timeout in force, for the message. */
  timeoutMs?: number;
}

/**
 * Turns any axios / network failure into a ConnectorError. A ConnectorError passes through unchanged; a
 * ZodError becomes MalformedAnswerError; an unknown failure becomes a TransientError (retry is the safe default
 * for the unexplained, and Temporal's retry policy bounds it).
 */
export function classifyHttpFailure(system: SystemName, operation: string, error: unknown, options: ClassifyOptions = {}): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const secrets = options.secrets ?? [];
  const label = SYSTEM_LABEL[system];
  const cause = sanitize(error, secrets);

  if (error instanceof ZodError) {
    const first = error.issues[0];
    return new MalformedAnswerError(system, operation, formatPath(first?.path ?? []), scrub(first?.message ?? 'invalid', secrets), { cause });
  }

  if (options.deadlineExceeded) {
    return new TransientError(system, operation, `${label} ${operation}: no answer within ${options.timeoutMs ?? '?'} ms (timeout)`, {
      cause,
      sourceUnreachable: true,
    });
  }

  if (isAxiosError(error)) {
    const response = (error as AxiosError).response;
    if (response) return classifyStatus(system, operation, response.status, response.data, response.headers, cause, options);
    const code = error.code ?? networkCode(error);
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(error.message)) {
      return new TransientError(system, operation, `${label} ${operation}: no answer within ${options.timeoutMs ?? '?'} ms (timeout)`, {
        cause,
        sourceUnreachable: true,
      });
    }
    if (code !== undefined && UNREACHABLE_CODES.has(code)) {
      return new TransientError(system, operation, `${label} ${operation}: unreachable (${code})`, {
        cause,
        sourceUnreachable: true,
        notDelivered: NOT_DELIVERED_CODES.has(code),
      });
    }
    if (/socket hang up|network error|connection/i.test(error.message)) {
      return new TransientError(system, operation, `${label} ${operation}: connection lost (${scrub(error.message, secrets)})`, {
        cause,
        sourceUnreachable: true,
      });
    }
    return new TransientError(system, operation, `${label} ${operation}: request failed (${code ?? scrub(error.message, secrets)})`, {
      cause,
      sourceUnreachable: false,
    });
  }

  const code = networkCode(error);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new TransientError(system, operation, `${label} ${operation}: unreachable (${code})`, {
      cause,
      sourceUnreachable: true,
      notDelivered: NOT_DELIVERED_CODES.has(code),
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  return new TransientError(system, operation, `${label} ${operation}: unexpected failure: ${scrub(text, secrets)}`, {
    cause,
    sourceUnreachable: false,
  });
}

/**
 * Classifies an answer by its HTTP status (also used by connectors whose source answers errors inside a 2xx).
 */
export function classifyStatus(
  system: SystemName,
  operation: string,
  status: number,
  body: unknown,
  headers: unknown,
  cause: unknown,
  options: ClassifyOptions = {},
): ConnectorError {
  const secrets = options.secrets ?? [];
  const label = SYSTEM_LABEL[system];
  const extracted = (options.extractMessage ?? extractSourceMessage)(body);
  const sourceMessage = extracted === undefined ? undefined : scrub(extracted, secrets);
  const said = sourceMessage === undefined ? '' : `: ${sourceMessage}`;

  if (status === 401 || status === 403) {
    const who = options.login ? ` ${options.login}` : '';
    return new AuthenticationError(system, operation, `${label} refused the login of${who || ' the connection'} (${status})${said}`, {
      cause,
      status,
    });
  }
  if (isTransientStatus(status)) {
    const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'));
    const transientOptions: TransientErrorOptions = { cause, status, sourceUnreachable: false, notDelivered: status === 429 };
    if (retryAfterMs !== undefined) transientOptions.retryAfterMs = retryAfterMs;
    return new TransientError(system, operation, `${label} ${operation}: HTTP ${status}${said}`, transientOptions);
  }
  if (status >= 400) {
    const message = sourceMessage ?? `HTTP ${status}`;
    return new RejectedBySourceError(system, operation, message, { cause, status });
  }
  // A 1xx/2xx/3xx that a connector still considers a failure (e.g. an error envelope inside a 200).
  return new RejectedBySourceError(system, operation, sourceMessage ?? `unexpected answer (HTTP ${status})`, {
    cause,
    status,
  });
}

function headerValue(headers: unknown, name: string): unknown {
  if (!headers || typeof headers !== 'object') return undefined;
  const maybeGet = (headers as { get?: unknown }).get;
  if (typeof maybeGet === 'function') {
    const value = (maybeGet as (n: string) => unknown).call(headers, name);
    if (value !== undefined && value !== null && value !== false) return value;
  }
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `orders[3].line_items[0].sku`; `(root)` for the empty path. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
