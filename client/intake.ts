/**
 * The order intake: the webhook Stock2Shop calls when an order gets the `add_order` instruction.
 *
 *   POST /webhooks/orders   body {"instruction":"add_order","source_id":101,"order":{...}}
 *     202 {"workflowId":"raise-order/<connectionId>/<code>","outcome":"delivered"|"already_raised"}
 *     422 with one sentence when the order or the instruction cannot be taken
 *   POST /webhooks/customers  422: neither source supports customer sync
 *   GET  /health
 *
 * Every delivery becomes signal-with-start on the order's workflow, so Stock2Shop may retry a
 * webhook as often as it likes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE, raiseOrderWorkflowId, type Connection } from '../domain';
import { parseStock2ShopOrder } from '../domain/stock2shop';
import { deliverOrder } from '../activities/deliver-order';

const WebhookSchema = z.object({
  instruction: z.string(),
  source_id: z.union([z.number(), z.string()]).transform(Number),
  order: z.unknown(),
});

export interface IntakeOptions {
  client: Client;
  connections: () => Connection[];
  port?: number;
  host?: string;
  log?: (line: Record<string, unknown>) => void;
}

export interface IntakeServer {
  url: string;
  close(): Promise<void>;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

export async function startIntakeServer(options: IntakeOptions): Promise<IntakeServer> {
  const log = options.log ?? ((line) => process.stdout.write(`${JSON.stringify({ component: 'intake', ...line })}\n`));

  async function handleOrder(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const parsed = WebhookSchema.safeParse(await readJson(request));
    if (!parsed.success) return answer(response, 422, { error: 'Expected {"instruction","source_id","order"}' });
    const { instruction, source_id: sourceId } = parsed.data;
    if (instruction !== 'add_order') return answer(response, 422, { error: `Instruction '${instruction}' is not handled here; only add_order raises orders` });
    const connection = options.connections().find((c) => c.stock2shop.sourceId === sourceId);
    if (!connection) return answer(response, 422, { error: `No connection is configured for Stock2Shop source ${sourceId}` });
    if (!connection.settings.create_order) {
      return answer(response, 422, { error: `Raising orders is switched off for connection ${connection.id} (create_order)` });
    }
    const order = parseStock2ShopOrder(parsed.data.order);
    const outcome = await deliverOrder(options.client, connection, order, 'webhook');
    const workflowId = raiseOrderWorkflowId(connection.id, order.channel_order_code);
    log({ event: 'order_delivered', via: 'webhook', workflowId, outcome });
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
            : Promise.resolve(answer(response, 404, { error: `No route ${route}` }));
    handled.catch((error: Error) => {
      const isBadOrder = error.name === 'DomainValidationError' || error instanceof SyntaxError;
      log({ event: 'intake_error', route, error: error.message });
      if (!response.headersSent) answer(response, isBadOrder ? 422 : 503, { error: error.message });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
