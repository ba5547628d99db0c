/**
 * Typed errors of the connectors, and the one place that turns an axios / network failure into one of them.
 *
 * Activities act on the class:
 *  - TransientError           retry (honour retryAfterMs when set); sourceUnreachable tells "the source is down"
 *                             (refused / reset / host down / timeout) from "the source answered 5xx / 429".
 *  - AuthenticationError      stop: a person must fix the login.
 *  - RejectedBySourceError    stop: the source refused the request itself (unknown stock code, ...), message verbatim.
 *  - MalformedAnswerError     stop: the answer was not the documented shape.
 *  - UnconfirmedOrderError    stop: a find answered documents that do not prove which order they are, so
 *                             nobody can tell whether the order exists (creating it could raise it twice).
 *
 * Credentials never travel with these errors: messages are built from the operation, the status and the
 * source's own message (scrubbed of the connector's secrets); the `cause` attached is a fresh, sanitised
 * Error (name, code, message, stack — all scrubbed), never the axios error with its config, request and URL.
 */
import { isAxiosError, type AxiosError } from 'axios';
import { ZodError } from 'zod';

export type SystemName = 'omni' | 'isync' | 'stock2shop';

export const SYSTEM_LABEL: Record<SystemName, string> = {
  omni: 'Omni Accounts',
  isync: 'iSync',
  stock2shop: 'Stock2Shop',
};

export type ConnectorErrorKind = 'transient' | 'authentication' | 'rejected' | 'malformed' | 'unconfirmed';

export interface ConnectorErrorOptions {
  cause?: unknown;
  status?: number;
}

export abstract class ConnectorError extends Error {
  abstract readonly kind: ConnectorErrorKind;
  /** false for every class but TransientError: retrying will not help, a person must act. */
  abstract readonly retryable: boolean;
  readonly system: SystemName;
  readonly operation: string;
  /** HTTP status of the answer, when there was one. */
  readonly status: number | undefined;

  protected constructor(system: SystemName, operation: string, message: string, options: ConnectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.system = system;
    this.operation = operation;
    this.status = options.status;
  }

  /** Safe, flat description for logs and failure details. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      system: this.system,
      operation: this.operation,
      status: this.status,
      message: this.message,
    };
  }
}

export interface TransientErrorOptions extends ConnectorErrorOptions {
  retryAfterMs?: number;
  sourceUnreachable?: boolean;
  notDelivered?: boolean;
}

/** Network failure, timeout, 5xx or 429: retry. */
export class TransientError extends ConnectorError {
  readonly kind = 'transient' as const;
  readonly retryable = true;
  /** From a Retry-After header (seconds or HTTP date), in milliseconds from now. */
  readonly retryAfterMs: number | undefined;
  /** The source itself is down (connection refused / reset / host unreachable / timeout), not answering 5xx. */
  readonly sourceUnreachable: boolean;
  /**
   * The request certainly never reached the source (no connection was made, or it answered 429): a
   * create that failed so did not happen. Anything else may have reached it (a lost answer).
   */
  readonly notDelivered: boolean;

  constructor(system: SystemName, operation: string, message: string, options: TransientErrorOptions = {}) {
    super(system, operation, message, options);
    this.retryAfterMs = options.retryAfterMs;
    this.sourceUnreachable = options.sourceUnreachable ?? false;
    this.notDelivered = options.notDelivered ?? false;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs, sourceUnreachable: this.sourceUnreachable, notDelivered: this.notDelivered };
  }
}

/** 401 / 403: the system refused the login (the message names the login, never the password). */
export class AuthenticationError extends ConnectorError {
  readonly kind = 'authentication' as const;
  readonly retryable = false;
  constructor(system: SystemName, operation: string, message: string, options: ConnectorErrorOptions = {}) {
    super(system, operation, message, options);
  }
}

/** The source refused the request itself (4xx other than auth / 429): `sourceMessage` is its own words. */
export class RejectedBySourceError extends ConnectorError {
  readonly kind = 'rejected' as const;
  readonly retryable = false;
  readonly sourceMessage: string;
  constructor(
    system: SystemName,
    operation: string,
    sourceMessage: string,
    options: ConnectorErrorOptions & { message?: string } = {},
  ) {
    super(system, operation, options.message ?? sourceMessage, options);
    this.sourceMessage = sourceMessage;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), sourceMessage: this.sourceMessage };
  }
}

/** A find answered documents that do not prove they are (or are not) the order: its existence is unknown. */
export class UnconfirmedOrderError extends ConnectorError {
  readonly kind = 'unconfirmed' as const;
  readonly retryable = false;
  constructor(system: SystemName, operation: string, message: string, options: ConnectorErrorOptions = {}) {
    super(system, operation, message, options);
  }
}

/** The answer failed validation: names the operation and the first failing path. */
export class MalformedAnswerError extends ConnectorError {
  readonly kind = 'malformed' as const;
  readonly retryable = false;
  /** The first failing path, e.g. `stock_items[3].STOCKCODE`, or `(root)`. */
  readonly path: string;
  readonly issue: string;
  constructor(system: SystemName, operation: string, path: string, issue: string, options: ConnectorErrorOptions = {}) {
    super(
      system,
      operation,
      `${SYSTEM_LABEL[system]} ${operation}: malformed answer at ${path}: ${issue}`,
      options,
    );
    this.path = path;
    this.issue = issue;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), path: this.path, issue: this.issue };
  }
}

export function isConnectorError(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError;
}

// ---------------------------------------------------------------------------------------------------------------
// Redaction

const SECRET_PARAM = /^(pass(word)?|pwd|token|api[_-]?key|secret|access[_-]?token|authorization)$/i;
const REDACTED = '***';

/**
 * Replaces the value of every credential-looking query parameter (Password, token, ...) in a URL or in any
 * text holding URLs / query strings. Works on absolute and relative URLs and on bare `a=b&c=d` text.
 */
export function redactUrl(text: string): string {
  return text.replace(/([?&;])([^=&#\s"']+)=([^&#\s"']*)/g, (whole, sep: string, key: string) => {
    let name = key;
    try {
      name = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      /* keep raw */
    }
    return SECRET_PARAM.test(name) ? `${sep}${key}=${REDACTED}` : whole;
  });
}

/**
 * Scrubs the given secret values (in plain, URL-encoded and form-encoded spelling) and credential-looking
 * query parameters out of a text.
 */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = redactUrl(text);
  for (const secret of secrets) {
    if (!secret || secret.length < 3) continue; // an empty / trivial password cannot be told from ordinary text
    const spellings = new Set([
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ s: secret }).toString().slice(2),
      JSON.stringify(secret).slice(1, -1),
    ]);
    for (const spelling of spellings) out = out.split(spelling).join(REDACTED);
  }
  return out;
}

/** A plain Error standing in for the original failure: no config, no request, no response, no URL. */
export class SanitizedCause extends Error {
  readonly code: string | undefined;
  constructor(name: string, message: string, code: string | undefined, stack: string | undefined) {
    super(message);
    this.name = name;
    this.code = code;
    if (stack !== undefined) this.stack = stack;
  }
}

function sanitize(error: unknown, secrets: readonly string[]): SanitizedCause {
  if (error instanceof Error) {
    const rawCode: unknown = (error as Error & { code?: unknown }).code;
    const code = typeof rawCode === 'string' ? rawCode : undefined;
    const message = scrub(error.message, secrets);
    return new SanitizedCause(error.name, message, code, sanitizedStack(error, message));
  }
  return new SanitizedCause('Error', scrub(String(error), secrets), undefined, undefined);
}

/**
 * The header rebuilt from the scrubbed message, then only the original's first run of `    at ...` frame lines
 * (code locations, never data). Anything else in the original stack (e.g. a "Caused by:" block) is dropped.
 */
function sanitizedStack(error: Error, message: string): string | undefined {
  if (error.stack === undefined) return undefined;
  const lines = error.stack.split('\n');
  const first = lines.findIndex((line) => /^\s+at /.test(line));
  const frames: string[] = [];
  if (first >= 0) {
    for (const line of lines.slice(first)) {
      if (!/^\s+at /.test(line)) break;
      frames.push(redactUrl(line));
    }
  }
  return [`${error.name}: ${message}`, ...frames].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Classification

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
export function classifyHttpFailure(
  system: SystemName,
  operation: string,
  error: unknown,
  options: ClassifyOptions = {},
): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const secrets = options.secrets ?? [];
  const label = SYSTEM_LABEL[system];
  const cause = sanitize(error, secrets);

  if (error instanceof ZodError) {
    const first = error.issues[0];
    return new MalformedAnswerError(
      system,
      operation,
      formatPath(first?.path ?? []),
      scrub(first?.message ?? 'invalid', secrets),
      { cause },
    );
  }

  if (options.deadlineExceeded) {
    return new TransientError(
      system,
      operation,
      `${label} ${operation}: no answer within ${options.timeoutMs ?? '?'} ms (timeout)`,
      { cause, sourceUnreachable: true },
    );
  }

  if (isAxiosError(error)) {
    const response = (error as AxiosError).response;
    if (response) return classifyStatus(system, operation, response.status, response.data, response.headers, cause, options);
    const code = error.code ?? networkCode(error);
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(error.message)) {
      return new TransientError(
        system,
        operation,
        `${label} ${operation}: no answer within ${options.timeoutMs ?? '?'} ms (timeout)`,
        { cause, sourceUnreachable: true },
      );
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
    return new TransientError(
      system,
      operation,
      `${label} ${operation}: request failed (${code ?? scrub(error.message, secrets)})`,
      { cause, sourceUnreachable: false },
    );
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
