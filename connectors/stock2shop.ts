/**
 * Stock2Shop, the hub: push source products to its queue, read its queue summary, list the orders waiting to be
 * raised into a source, and write back the source order code (or the reason it could not be raised).
 *
 * The token travels in the `token` query parameter (Stock2Shop's convention); it is scrubbed from every error.
 */
import { z } from 'zod';
import type { Stock2ShopQueueItem } from '../domain';
import { createTransport, requestJson, resourcePath, type Transport } from './http';
import {
  createOrderCalls,
  resolveOrderContract,
  type OrdersToRaise,
  type Stock2ShopOrderContractInput,
  type Stock2ShopSourceId,
} from './stock2shop-order-contract';
import { attachSession, type Stock2ShopGate } from './stock2shop-calls';
import { MemorySessionCoordinator, Stock2ShopSession } from './stock2shop-session';

export type { OrdersToRaise, Stock2ShopSourceId, WaitingOrder } from './stock2shop-order-contract';

export interface Stock2ShopPaths {
  /** Default `/products/queue`. */
  productsQueue?: string;
  /** Default `/queue/summary`. */
  queueSummary?: string;
  /** Default `/orders`: the root of the order paths `orderContract` does not name. */
  orders?: string;
}

export interface Stock2ShopClientOptions {
  /** Base URL, e.g. `https://app.stock2shop.com/v1`. */
  endpoint: string;
  /** A fixed token (it cannot be renewed); or `session`, which logs in as a user and renews. */
  token?: string;
  session?: Stock2ShopSession;
  /** The account's rate limit as this process applies it; none: no pacing (a 429 still waits a second). */
  gate?: Stock2ShopGate;
  timeoutMs?: number;
  paths?: Stock2ShopPaths;
  /** The order side's paths and field names, as agreed with Stock2Shop (docs/stock2shop-contract.md); default today's. */
  orderContract?: Stock2ShopOrderContractInput;
}

export interface QueueSummary {
  received: number;
  processed: number;
  pending: number;
}

export interface Stock2ShopClient {
  /** Pushes up to 1000 items in one `POST /products/queue`; returns how many Stock2Shop said it queued, when it said. */
  pushProducts(items: Stock2ShopQueueItem[]): Promise<{ queued: number | undefined }>;
  queueSummary(): Promise<QueueSummary>;
  /** Orders with the `add_order` instruction for this source. */
  listOrdersToRaise(sourceId: Stock2ShopSourceId): Promise<OrdersToRaise>;
  /** One order as Stock2Shop holds it for this source (unvalidated), or null when it holds none. */
  getOrder(channelOrderCode: string, sourceId: Stock2ShopSourceId): Promise<unknown>;
  writeSourceOrderCode(channelOrderCode: string, sourceId: Stock2ShopSourceId, sourceOrderCode: string): Promise<void>;
  writeOrderFailure(channelOrderCode: string, sourceId: Stock2ShopSourceId, reason: string): Promise<void>;
  /** The order will not be raised in this source (a person cancelled it): Stock2Shop stops offering it. */
  writeOrderCancelled(channelOrderCode: string, sourceId: Stock2ShopSourceId, reason: string): Promise<void>;
}

/** The most items one `POST /products/queue` may carry. */
export const STOCK2SHOP_MAX_PUSH = 1000;

const DEFAULT_PATHS: Required<Stock2ShopPaths> = {
  productsQueue: '/products/queue',
  queueSummary: '/queue/summary',
  orders: '/orders',
};

const count = z.number().int().min(0);
// The push answer's shape is not published ("the results of the post tell you how many products have been
// queued"): any 2xx is a push done, and its `queued` count is read when there is one.
const PushAnswer = z.unknown().transform((answer): number | undefined => {
  const found = z
    .union([
      z.looseObject({ system_products: z.looseObject({ queued: count }) }).transform((a) => a.system_products.queued),
      z.looseObject({ queued: count }).transform((a) => a.queued),
    ])
    .safeParse(answer);
  return found.success ? found.data : undefined;
});
const SummaryAnswer = z.object({ queue: z.looseObject({ received: count, processed: count, pending: count }) });

export function createStock2ShopClient(options: Stock2ShopClientOptions): Stock2ShopClient {
  const session =
    options.session ??
    new Stock2ShopSession({ endpoint: options.endpoint, login: { kind: 'token', token: options.token ?? '' }, coordinator: new MemorySessionCoordinator() });
  const transport: Transport = createTransport('stock2shop', {
    baseURL: options.endpoint,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    secrets: () => session.seenTokens,
    login: session.describes,
    deadlineAfterTurn: true,
  });
  attachSession(transport, session, options.gate);
  const merged = { ...DEFAULT_PATHS, ...options.paths };
  const paths = {
    productsQueue: resourcePath(merged.productsQueue),
    queueSummary: resourcePath(merged.queueSummary),
    orders: resourcePath(merged.orders).replace(/\/+$/, ''),
  };

  return {
    async pushProducts(items) {
      if (items.length > STOCK2SHOP_MAX_PUSH) {
        throw new RangeError(`pushProducts takes at most ${STOCK2SHOP_MAX_PUSH} items per call, got ${items.length}`);
      }
      if (items.length === 0) return { queued: 0 };
      const answer = await requestJson(transport, {
        operation: 'pushProducts',
        method: 'POST',
        path: paths.productsQueue,
        body: { system_products: items },
        schema: PushAnswer,
      });
      return { queued: answer };
    },

    async queueSummary() {
      const answer = await requestJson(transport, {
        operation: 'queueSummary',
        method: 'GET',
        path: paths.queueSummary,
        schema: SummaryAnswer,
      });
      const { received, processed, pending } = answer.queue;
      return { received, processed, pending };
    },

    ...createOrderCalls(transport, resolveOrderContract(options.orderContract, paths.orders)),
  };
}
