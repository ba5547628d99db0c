/**
 * The shared HTTP plumbing of the connectors: one axios factory and one "request, validate the answer with zod,
 * classify the failure" helper, so each connector is only its paths and shapes.
 *
 * No retries here, on purpose: Temporal's activity retry policy is the only retry loop.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosRequestConfig, type Method } from 'axios';
import { z } from 'zod';
import { MalformedAnswerError, type ConnectorError, type SystemName } from './errors';
import { classifyHttpFailure, formatPath, type ClassifyOptions } from './classify';
import { scrub } from './redaction';

export const DEFAULT_TIMEOUT_MS = 30_000;

// Shared keep-alive agents: connectors may be created per activity call, sockets are reused across them.
// Idle keep-alive sockets are unref'd by node, so they never keep a process alive.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 32 });

export type QueryValue = string | number | boolean | null | undefined;
export type QueryParams = Record<string, QueryValue>;

/** Form-encodes query parameters (`+` for spaces, `%28` for parentheses), dropping null / undefined. */
export function serializeQuery(params: QueryParams): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    search.append(key, String(value));
  }
  return search.toString();
}

export interface HttpClientOptions {
  baseURL: string;
  /** Per request, for the whole exchange; default 30 s. */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** An axios instance: baseURL, timeout, keep-alive agents, JSON in / text out (parsed by `requestJson`), no redirects. */
export function createHttpClient(options: HttpClientOptions): AxiosInstance {
  return axios.create({
    baseURL: options.baseURL,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    httpAgent,
    httpsAgent,
    maxRedirects: 0, // a redirect could carry query-string credentials to another host
    proxy: false,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    headers: { Accept: 'application/json', ...options.headers },
    paramsSerializer: { serialize: (params: QueryParams) => serializeQuery(params) },
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
  });
}

/** What a connector holds to make calls: its client and what the classification needs. */
export interface Transport {
  readonly system: SystemName;
  readonly http: AxiosInstance;
  readonly timeoutMs: number;
  /** Secret values to scrub from anything kept (passwords, tokens). */
  readonly secrets: readonly string[];
  /** Describes the login for AuthenticationError messages (never the password). */
  readonly login?: string;
  /** Query parameters sent on every call (e.g. Omni's credentials). */
  readonly defaultParams?: QueryParams;
  readonly extractMessage?: (body: unknown) => string | undefined;
  /**
   * The call's deadline is started by the transport's own request interceptor (`startDeadline` on the
   * request's config), once the call had its turn under a rate limit: a queued call is not "no answer".
   */
  readonly deadlineAfterTurn?: boolean;
}

export function createTransport(
  system: SystemName,
  options: HttpClientOptions & {
    /** Or a function, for secrets that change (a login's tokens). */
    secrets: readonly string[] | (() => readonly string[]);
    login?: string;
    defaultParams?: QueryParams;
    extractMessage?: (body: unknown) => string | undefined;
    deadlineAfterTurn?: boolean;
  },
): Transport {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const secretsOf = typeof options.secrets === 'function' ? options.secrets : () => options.secrets as readonly string[];
  const transport: Transport = {
    system,
    http: createHttpClient({ ...options, timeoutMs }),
    timeoutMs,
    get secrets() {
      return secretsOf().filter((s) => s !== '');
    },
    ...(options.login === undefined ? {} : { login: options.login }),
    ...(options.defaultParams === undefined ? {} : { defaultParams: options.defaultParams }),
    ...(options.extractMessage === undefined ? {} : { extractMessage: options.extractMessage }),
    ...(options.deadlineAfterTurn ? { deadlineAfterTurn: true } : {}),
  };
  return transport;
}

export interface JsonCall<S extends z.ZodType> {
  /** Names the call in errors, e.g. `listProducts`. */
  operation: string;
  method: Method;
  /** Path relative to the baseURL, already URL-encoded. */
  path: string;
  params?: QueryParams;
  body?: unknown;
  /** Validates the answer body (parsed JSON). */
  schema: S;
}

let ambientCancellation: () => AbortSignal | undefined = () => undefined;

/**
 * Ties every call to the cancellation of whatever runs it (for the engine: the current activity, so
 * a worker that shuts down stops its calls instead of holding them past its grace time).
 */
export function setAmbientCancellation(current: () => AbortSignal | undefined): void {
  ambientCancellation = current;
}

export function classifyOptions(transport: Transport, extra: Partial<ClassifyOptions> = {}): ClassifyOptions {
  const options: ClassifyOptions = { secrets: transport.secrets, timeoutMs: transport.timeoutMs, ...extra };
  if (transport.login !== undefined) options.login = transport.login;
  if (transport.extractMessage !== undefined) options.extractMessage = transport.extractMessage;
  return options;
}

/**
 * One call: send, parse the JSON answer, validate it with `schema`. Any failure is thrown as a ConnectorError
 * (TransientError / AuthenticationError / RejectedBySourceError / MalformedAnswerError), scrubbed of credentials.
 */
export async function requestJson<S extends z.ZodType>(transport: Transport, call: JsonCall<S>): Promise<z.output<S>> {
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const startDeadline = () => {
    timer ??= setTimeout(() => deadline.abort(new DOMException('deadline', 'TimeoutError')), transport.timeoutMs);
  };
  if (!transport.deadlineAfterTurn) startDeadline();
  const cancellation = ambientCancellation();
  let text: unknown;
  try {
    const response = await transport.http.request<unknown>({
      method: call.method,
      url: call.path,
      params: { ...transport.defaultParams, ...call.params },
      data: call.body,
      signal: cancellation ? AbortSignal.any([deadline.signal, cancellation]) : deadline.signal,
      ...(call.body === undefined ? {} : { headers: { 'Content-Type': 'application/json' } }),
      startDeadline,
    } as AxiosRequestConfig);
    text = response.data;
  } catch (error) {
    throw classifyHttpFailure(transport.system, call.operation, error, classifyOptions(transport, { deadlineExceeded: deadline.signal.aborted }));
  } finally {
    clearTimeout(timer);
  }
  const parsed = parseJsonBody(transport, call.operation, text);
  const result = call.schema.safeParse(parsed);
  if (!result.success) throw malformed(transport, call.operation, result.error);
  return result.data;
}

function parseJsonBody(transport: Transport, operation: string, data: unknown): unknown {
  if (typeof data !== 'string') {
    if (Buffer.isBuffer(data)) return parseJsonBody(transport, operation, data.toString('utf8'));
    return data;
  }
  if (data.trim() === '') return undefined;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    throw new MalformedAnswerError(transport.system, operation, '(root)', 'answer is not JSON');
  }
}

/** MalformedAnswerError from a ZodError: the first failing path and zod's message (never the value). */
export function malformed(transport: Pick<Transport, 'system' | 'secrets'>, operation: string, error: z.ZodError): ConnectorError {
  const first = error.issues[0];
  return new MalformedAnswerError(transport.system, operation, formatPath(first?.path ?? []), scrub(first?.message ?? 'invalid', transport.secrets));
}

/** Normalises a configured path: leading slash, spaces encoded as %20 (Omni's resources have spaces). */
export function resourcePath(path: string): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.replace(/ /g, '%20');
}

/** Rejects a non-positive or fractional page size; caps it at the source's maximum. */
export function pageSizeWithin(pageSize: number, max: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
  return Math.min(pageSize, max);
}
