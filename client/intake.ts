/**
 * The order intake: the webhook Stock2Shop calls when an order gets the `add_order` instruction.
 *
 *   POST /webhooks/orders/<source_id>   signed by Stock2Shop with that source's secret (webhook-request.ts);
 *                           body {"instruction":"add_order","source_id":<source_id>,"channel_order_code":"…"}
 *                           (an `order` in the body is ignored but for its channel_order_code)
 *     202 {"workflowId":"raise-order/<connectionId>/<code>","outcome":"delivered"|"already_raised"|"cancelled"|"skipped"}
 *     401 unsigned, wrong signature, stale or future timestamp, a call already accepted (a replay)
 *     413 too large · 408 too slow · 503 too much in flight (or Temporal unreachable): send again later
 *     400 not JSON, names no order, or no source in the path · 422 an instruction or source this engine does not raise
 *   POST /webhooks/customers  422: neither source supports customer sync
 *   GET  /health
 *
 * The call names its source in the path, so everything cheap (headers, the source's secret, room for
 * its body) is checked before a byte of the body is read, and the body costs one HMAC at most. The
 * webhook is a notification, not the order: it names the source and the order's code, and the
 * order's workflow reads the order itself from Stock2Shop. So only Stock2Shop's content is ever
 * raised, and Stock2Shop may retry a webhook as often as it likes (signal-with-start).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE, DeliveredOrderCodeSchema, raiseOrderWorkflowId, type Connection } from '../domain';
import { deliverOrder } from '../temporal/deliver-order';
import { inSpan, tracedClient } from '../worker/tracing';
import { MemoryWebhookNonces, type WebhookNonces } from '../store/webhook-nonces';
import { DEFAULT_INTAKE_LIMITS, IntakeLimits, type IntakeLimitSettings } from './intake-limits';
import { checkSignedHeaders, declaredLength, readBodyWithin, signatureMatches, SIGNATURE_TOLERANCE_SECONDS, type Rejection } from './webhook-request';

const NotificationSchema = z.object({
  instruction: z.string(),
  source_id: z.union([z.number(), z.string()]).transform(Number),
  // A code the policy refuses is still delivered, so the order's workflow can tell Stock2Shop why (domain/order-code.ts).
  channel_order_code: DeliveredOrderCodeSchema.optional(),
  order: z.looseObject({ channel_order_code: DeliveredOrderCodeSchema.optional() }).optional(),
});

export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_WEBHOOK_BODY_TIMEOUT_MS = 10_000;
export const DEFAULT_WEBHOOK_HEADERS_TIMEOUT_MS = 10_000;
export const ORDER_WEBHOOK_PATH = '/webhooks/orders';

/** The URL Stock2Shop is given for one source's order webhook. */
export function orderWebhookUrl(intakeUrl: string, sourceId: number | string): string {
  return `${intakeUrl}${ORDER_WEBHOOK_PATH}/${sourceId}`;
}

export interface IntakeOptions {
  client: Client;
  /**
   * The connections in use, asked on every call: it must do no I/O (`ConnectionRegistry.connections`,
   * the file read once and watched; a bad connection is skipped, so its source's webhooks are refused).
   */
  connections: () => Connection[];
  /** The secret that signs webhook calls for a connection's Stock2Shop source; none refuses them. */
  webhookSecretOf: (connection: Connection) => string | undefined;
  port?: number;
  host?: string;
  maxBodyBytes?: number;
  bodyTimeoutMs?: number;
  /** How long a caller may take to send its headers. */
  headersTimeoutMs?: number;
  limits?: Partial<IntakeLimitSettings>;
  /** Calls already accepted; default this process's memory (give the shared store's when several intakes run). */
  nonces?: WebhookNonces;
  /** One structured line per event: `{level, event, …}`; never a body or a secret. */
  log?: (line: IntakeLogLine) => void;
  nowSeconds?: () => number;
}

/** One line of the intake's log, as `IntakeOptions.log` receives it. */
export type IntakeLogLine = { level: 'info' | 'warn' | 'error'; event: string } & Record<string, unknown>;

/**
 * The intake's `log` written as the stack's log lines (`logLineWriter`): `{"time","level","component",
 * "message",…}` like the workers', the event as the message (`webhook_rejected`, `order_delivered`,
 * `intake_error`) and the event's fields beside it.
 */
export function intakeLogTo(write: (line: { level: string; message: string } & Record<string, unknown>) => void): (line: IntakeLogLine) => void {
  return ({ level, event, ...fields }) => write({ level, message: event, ...fields });
}

export interface IntakeServer {
  url: string;
  /** Sockets and body bytes held now (for tests and benchmarks). */
  held(): { sockets: number; bytesInFlight: number };
  close(): Promise<void>;
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** What a refused caller is told: the status's name, nothing about why (the log says why). */
const GENERIC_ERRORS: Record<Rejection['status'], string> = {
  400: 'bad request',
  401: 'unauthorized',
  404: 'not found',
  408: 'request timeout',
  413: 'payload too large',
  503: 'busy, send again later',
};

const SOURCE_IN_PATH = /^\d{1,12}$/;

interface OrderHandling {
  options: IntakeOptions;
  log: (line: IntakeLogLine) => void;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  nowSeconds: () => number;
  limits: IntakeLimits;
  nonces: WebhookNonces;
}

function reject(
  handling: OrderHandling,
  request: IncomingMessage,
  response: ServerResponse,
  rejection: Rejection,
  told = GENERIC_ERRORS[rejection.status],
): void {
  handling.log({ level: 'warn', event: 'webhook_rejected', status: rejection.status, reason: rejection.reason, remote: request.socket.remoteAddress });
  // Stop reading: the connection closes once the answer is out.
  response.setHeader('connection', 'close');
  answer(response, rejection.status, { error: told });
  response.once('finish', () => request.socket.destroy());
}

/** The cheap checks, on the path and the headers: the source's connection and secret, or a rejection already answered. */
function admitOrderCall(handling: OrderHandling, request: IncomingMessage, response: ServerResponse, sourceText: string | undefined) {
  const refuse = (rejection: Rejection, told?: string) => void reject(handling, request, response, rejection, told);
  if (sourceText === undefined) {
    return refuse(
      { status: 400, reason: `names no source: POST ${ORDER_WEBHOOK_PATH}/<source_id>` },
      `name the source in the path: ${ORDER_WEBHOOK_PATH}/<source_id>`,
    );
  }
  if (!SOURCE_IN_PATH.test(sourceText)) return refuse({ status: 404, reason: 'the path names no source id' });
  const signed = checkSignedHeaders(request.headers, handling.nowSeconds());
  if (!signed.ok) return refuse(signed);
  const sourceId = Number(sourceText);
  const connection = handling.options.connections().find((c) => c.stock2shop.sourceId === sourceId);
  const secret = connection ? handling.options.webhookSecretOf(connection) : undefined;
  if (!connection || secret === undefined) return refuse({ status: 401, reason: `no connection with a webhook secret for source ${sourceId}` });
  const declared = declaredLength(request);
  if (declared !== undefined && declared > handling.maxBodyBytes) {
    return refuse({ status: 413, reason: `declared body of ${declared} bytes is over the limit of ${handling.maxBodyBytes}` });
  }
  const release = handling.limits.reserveBody(request.socket, declared ?? handling.maxBodyBytes);
  if (!release) return refuse({ status: 503, reason: `too many body bytes in flight (from ${request.socket.remoteAddress} or in all)` });
  response.once('close', release);
  return { signed, sourceId, connection, secret };
}

async function handleOrder(handling: OrderHandling, request: IncomingMessage, response: ServerResponse, sourceText: string | undefined): Promise<void> {
  const admitted = admitOrderCall(handling, request, response, sourceText);
  if (!admitted) return;
  const { signed, sourceId, connection, secret } = admitted;
  const refuse = (rejection: Rejection) => reject(handling, request, response, rejection);
  const read = await readBodyWithin(request, handling.maxBodyBytes, handling.bodyTimeoutMs);
  if (!read.ok) return refuse(read);
  if (!signatureMatches(secret, signed, read.body)) return refuse({ status: 401, reason: 'wrong signature' });
  // Recorded before anything is delivered, so two copies sent at once cannot both pass.
  const callKey = `${sourceId}:${signed.signature}`;
  // Kept a minute past the tolerance: the last second of it, and clocks a little apart, find it still.
  if (!(await handling.nonces.firstSighting(callKey, (Number(signed.timestamp) + SIGNATURE_TOLERANCE_SECONDS + 60) * 1000))) {
    return refuse({ status: 401, reason: 'replay: this signed call was already accepted' });
  }

  let json: unknown;
  try {
    json = JSON.parse(read.body.toString('utf8'));
  } catch {
    return refuse({ status: 400, reason: 'body is not JSON' });
  }
  const parsed = NotificationSchema.safeParse(json);
  const code = parsed.success ? (parsed.data.channel_order_code ?? parsed.data.order?.channel_order_code) : undefined;
  if (!parsed.success || code === undefined) return refuse({ status: 400, reason: 'names no source_id and channel_order_code' });
  const { instruction, source_id: namedSource } = parsed.data;
  // The body's source must be the one whose secret signed the call: one client's secret cannot raise another's orders.
  if (namedSource !== sourceId) return refuse({ status: 401, reason: `signature not valid for source ${namedSource}` });
  if (instruction !== 'add_order') {
    return answer(response, 422, { error: `Instruction '${instruction}' is not handled here; only add_order raises orders` });
  }
  if (!connection.settings.create_order) {
    return answer(response, 422, { error: `Raising orders is switched off for connection ${connection.id} (create_order)` });
  }
  // With tracing on, the order's trace starts here (worker/tracing.ts); ids only, never the order's content.
  const delivered = inSpan(
    'webhook add_order',
    { connection_id: connection.id, source_id: sourceId, temporalWorkflowId: raiseOrderWorkflowId(connection.id, code) },
    () => deliverOrder(handling.options.client, connection, code, { via: 'webhook' }),
  );
  const outcome = await delivered.catch(async (error: unknown) => {
    // Not delivered: Stock2Shop's retry of this very call must be accepted.
    await handling.nonces.forget(callKey);
    throw error;
  });
  const workflowId = raiseOrderWorkflowId(connection.id, code);
  handling.log({ level: 'info', event: 'order_delivered', via: 'webhook', workflowId, outcome });
  answer(response, 202, { workflowId, outcome });
}

export async function startIntakeServer(options: IntakeOptions): Promise<IntakeServer> {
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_WEBHOOK_HEADERS_TIMEOUT_MS;
  const handling: OrderHandling = {
    options: { ...options, client: tracedClient(options.client) },
    log: options.log ?? (() => undefined),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES,
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_WEBHOOK_BODY_TIMEOUT_MS,
    nowSeconds: options.nowSeconds ?? (() => Math.floor(Date.now() / 1000)),
    limits: new IntakeLimits({ ...DEFAULT_INTAKE_LIMITS, ...options.limits }),
    nonces: options.nonces ?? new MemoryWebhookNonces(),
  };
  const { log, limits, bodyTimeoutMs } = handling;

  const server: Server = createServer(
    // Slow-header sockets are closed after headersTimeoutMs, checked every second.
    { headersTimeout: headersTimeoutMs, requestTimeout: headersTimeoutMs + bodyTimeoutMs, connectionsCheckingInterval: 1_000 },
    (request, response) => {
      const path = request.url?.split('?')[0] ?? '';
      const orderSource = path.startsWith(`${ORDER_WEBHOOK_PATH}/`) ? path.slice(ORDER_WEBHOOK_PATH.length + 1) : undefined;
      const route = orderSource !== undefined || path === ORDER_WEBHOOK_PATH ? `${request.method} ${ORDER_WEBHOOK_PATH}` : `${request.method} ${path}`;
      const handled =
        route === `POST ${ORDER_WEBHOOK_PATH}`
          ? handleOrder(handling, request, response, orderSource)
          : route === 'POST /webhooks/customers'
            ? Promise.resolve(answer(response, 422, { error: CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE }))
            : route === 'GET /health'
              ? Promise.resolve(answer(response, 200, { ok: true }))
              : Promise.resolve(answer(response, 404, { error: 'not found' }));
      handled.catch((error: Error) => {
        // Temporal unreachable, most likely: Stock2Shop should send the webhook again later.
        log({ level: 'error', event: 'intake_error', route, error });
        if (!response.headersSent) answer(response, 503, { error: 'temporarily unavailable' });
      });
    },
  );
  server.maxConnections = limits.settings.maxConnections;
  server.on('connection', (socket) => {
    if (!limits.admitSocket(socket)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    held: () => limits.held(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
