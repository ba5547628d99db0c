/**
 * The order intake: the webhook Stock2Shop calls when an order gets the `add_order` instruction.
 *
 *   POST /webhooks/orders   signed by Stock2Shop (see webhook-request.ts);
 *                           body {"instruction":"add_order","source_id":101,"channel_order_code":"…"}
 *                           (an `order` in the body is ignored but for its channel_order_code)
 *     202 {"workflowId":"raise-order/<connectionId>/<code>","outcome":"delivered"|"already_raised"}
 *     401 unsigned, wrong signature, stale or future timestamp · 413 too large · 408 too slow
 *     400 not JSON or names no order · 422 an instruction or source this engine does not raise
 *   POST /webhooks/customers  422: neither source supports customer sync
 *   GET  /health
 *
 * The webhook is a notification, not the order: it names the source and the order's code, and the
 * order's workflow reads the order itself from Stock2Shop. So only Stock2Shop's content is ever
 * raised, and Stock2Shop may retry a webhook as often as it likes (signal-with-start).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE, OrderCodeSchema, raiseOrderWorkflowId, type Connection } from '../domain';
import { deliverOrder } from '../temporal/deliver-order';
import { readBodyWithin, verifySignature, type Rejection } from './webhook-request';

const NotificationSchema = z.object({
  instruction: z.string(),
  source_id: z.union([z.number(), z.string()]).transform(Number),
  channel_order_code: OrderCodeSchema.optional(),
  order: z.looseObject({ channel_order_code: OrderCodeSchema.optional() }).optional(),
});

export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_WEBHOOK_BODY_TIMEOUT_MS = 10_000;

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
  408: 'request timeout',
  413: 'payload too large',
};

export async function startIntakeServer(options: IntakeOptions): Promise<IntakeServer> {
  const log = options.log ?? (() => undefined);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_WEBHOOK_BODY_TIMEOUT_MS;
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  function reject(request: IncomingMessage, response: ServerResponse, rejection: Rejection): void {
    log({ level: 'warn', event: 'webhook_rejected', status: rejection.status, reason: rejection.reason, remote: request.socket.remoteAddress });
    // Stop reading: the connection closes once the answer is out.
    response.setHeader('connection', 'close');
    answer(response, rejection.status, { error: GENERIC_ERRORS[rejection.status] });
    response.once('finish', () => request.socket.destroy());
  }

  async function handleOrder(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const read = await readBodyWithin(request, maxBodyBytes, bodyTimeoutMs);
    if (!read.ok) return reject(request, response, read);
    const connections = options.connections();
    const secretOf = new Map(connections.map((c) => [c, options.webhookSecretOf(c)]));
    const candidates = [...new Set([...secretOf.values()].filter((s): s is string => s !== undefined))];
    const verified = verifySignature(request.headers, read.body, candidates, nowSeconds());
    if (!verified.ok) return reject(request, response, verified);

    let json: unknown;
    try {
      json = JSON.parse(read.body.toString('utf8'));
    } catch {
      return reject(request, response, { status: 400, reason: 'body is not JSON' });
    }
    const parsed = NotificationSchema.safeParse(json);
    const code = parsed.success ? (parsed.data.channel_order_code ?? parsed.data.order?.channel_order_code) : undefined;
    if (!parsed.success || code === undefined) return reject(request, response, { status: 400, reason: 'names no source_id and channel_order_code' });
    const { instruction, source_id: sourceId } = parsed.data;
    // The source must be one whose secret signed this call: one client's secret cannot raise another's orders.
    const connection = connections.find((c) => c.stock2shop.sourceId === sourceId && verified.secrets.includes(secretOf.get(c) ?? ''));
    if (!connection) return reject(request, response, { status: 401, reason: `signature not valid for source ${sourceId}` });
    if (instruction !== 'add_order') {
      return answer(response, 422, { error: `Instruction '${instruction}' is not handled here; only add_order raises orders` });
    }
    if (!connection.settings.create_order) {
      return answer(response, 422, { error: `Raising orders is switched off for connection ${connection.id} (create_order)` });
    }
    const outcome = await deliverOrder(options.client, connection, code, { via: 'webhook' });
    const workflowId = raiseOrderWorkflowId(connection.id, code);
    log({ level: 'info', event: 'order_delivered', via: 'webhook', workflowId, outcome });
    answer(response, 202, { workflowId, outcome });
  }

  const server: Server = createServer((request, response) => {
    const route = `${request.method} ${request.url?.split('?')[0]}`;
    const handled =
      route === 'POST /webhooks/orders'
        ? handleOrder(request, response)
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
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
