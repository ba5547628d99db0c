/**
 * Typed errors of the connectors. `classify.ts` is the one place that turns an axios / network failure into
 * one of them; `redaction.ts` keeps credentials out of every message and cause.
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
  constructor(system: SystemName, operation: string, sourceMessage: string, options: ConnectorErrorOptions & { message?: string } = {}) {
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
    super(system, operation, `${SYSTEM_LABEL[system]} ${operation}: malformed answer at ${path}: ${issue}`, options);
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
