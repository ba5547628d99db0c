/**
 * Stock2Shop, the hub: push source products to its queue, read its queue summary, list the orders waiting to be
 * raised into a source, and write back the source order code (or the reason it could not be raised).
 *
 * The token travels in the `token` query parameter (Stock2Shop's convention); it is scrubbed from every error.
 */
import { z } from 'zod';
import type { Stock2ShopQueueItem } from '../domain';
import { RejectedBySourceError } from './errors';
import { createTransport, requestJson, resourcePath, type Transport } from './http';

export interface Stock2ShopPaths {
  /** Default `/products/queue`. */
  productsQueue?: string;
  /** Default `/queue/summary`. */
  queueSummary?: string;
  /** Default `/orders`; write-backs go to `<orders>/<channel_order_code>/source_order_code`, `/failure` and `/cancelled`. */
  orders?: string;
}

export interface Stock2ShopClientOptions {
  /** Base URL, e.g. `https://app.stock2shop.com/v1`. */
  endpoint: string;
  token: string;
  timeoutMs?: number;
  paths?: Stock2ShopPaths;
}

/** Stock2Shop's source id: a number (a numeric string is sent as given). */
export type Stock2ShopSourceId = number | string;

export interface QueueSummary {
  received: number;
  processed: number;
  pending: number;
}

/**
 * An order waiting to be raised, as Stock2Shop lists it: its code and its content, not yet validated
 * (the order's workflow validates it and writes any problem back, naming the field).
 */
export interface WaitingOrder {
  code: string;
  raw: unknown;
}

export interface OrdersToRaise {
  orders: WaitingOrder[];
  /** Listed entries without a usable channel_order_code: nothing can be raised or written back for them. */
  withoutCode: number;
}

export interface Stock2ShopClient {
  /** Pushes up to 1000 items in one `POST /products/queue`; returns how many Stock2Shop queued. */
  pushProducts(items: Stock2ShopQueueItem[]): Promise<{ queued: number }>;
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
const PushAnswer = z.object({ system_products: z.looseObject({ queued: count }) });
const SummaryAnswer = z.object({ queue: z.looseObject({ received: count, processed: count, pending: count }) });
const OrdersAnswer = z.object({ orders: z.array(z.unknown()) });
const OrderAnswer = z.object({ order: z.looseObject({}) });
/** Write-backs answer 200 with a body we do not rely on. */
const AnyAnswer = z.unknown();

export function createStock2ShopClient(options: Stock2ShopClientOptions): Stock2ShopClient {
  const transport: Transport = createTransport('stock2shop', {
    baseURL: options.endpoint,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    secrets: [options.token],
    login: 'API token',
    defaultParams: { token: options.token },
  });
  const merged = { ...DEFAULT_PATHS, ...options.paths };
  const paths = {
    productsQueue: resourcePath(merged.productsQueue),
    queueSummary: resourcePath(merged.queueSummary),
    orders: resourcePath(merged.orders).replace(/\/+$/, ''),
  };
  const orderPath = (code: string, what: string) => `${paths.orders}/${orderSegment(code)}/${what}`;

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
      return { queued: answer.system_products.queued };
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

    async listOrdersToRaise(sourceId) {
      const answer = await requestJson(transport, {
        operation: 'listOrdersToRaise',
        method: 'GET',
        path: paths.orders,
        params: { source_id: sourceId, instruction: 'add_order' },
        schema: OrdersAnswer,
      });
      const result: OrdersToRaise = { orders: [], withoutCode: 0 };
      for (const raw of answer.orders) {
        const code = rawOrderCode(raw);
        if (code === undefined) result.withoutCode += 1;
        else result.orders.push({ code, raw });
      }
      return result;
    },

    async getOrder(channelOrderCode, sourceId) {
      try {
        const answer = await requestJson(transport, {
          operation: 'getOrder',
          method: 'GET',
          path: `${paths.orders}/${orderSegment(channelOrderCode)}`,
          params: { source_id: sourceId },
          schema: OrderAnswer,
        });
        return answer.order;
      } catch (error) {
        if (error instanceof RejectedBySourceError && error.status === 404) return null;
        throw error;
      }
    },

    ...orderWriteBacks(transport, orderPath),
  };
}

/** A code as one path segment; `.` and `..` cannot be one (a URL resolves them to another path). */
function orderSegment(code: string): string {
  if (code === '.' || code === '..') throw new RangeError(`the order code '${code}' cannot be addressed in a URL path`);
  return encodeURIComponent(code);
}

function rawOrderCode(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const code = (raw as { channel_order_code?: unknown }).channel_order_code;
  if (typeof code === 'string' && code.trim() !== '') return code.trim();
  if (typeof code === 'number') return String(code);
  return undefined;
}

/** What Stock2Shop learns of an order: its source order code, why it was not raised, or that it was cancelled. */
function orderWriteBacks(
  transport: Transport,
  orderPath: (code: string, what: string) => string,
): Pick<Stock2ShopClient, 'writeSourceOrderCode' | 'writeOrderFailure' | 'writeOrderCancelled'> {
  return {
    async writeSourceOrderCode(channelOrderCode, sourceId, sourceOrderCode) {
      await requestJson(transport, {
        operation: 'writeSourceOrderCode',
        method: 'POST',
        path: orderPath(channelOrderCode, 'source_order_code'),
        body: { source_id: sourceId, source_order_code: sourceOrderCode },
        schema: AnyAnswer,
      });
    },

    async writeOrderFailure(channelOrderCode, sourceId, reason) {
      await requestJson(transport, {
        operation: 'writeOrderFailure',
        method: 'POST',
        path: orderPath(channelOrderCode, 'failure'),
        body: { source_id: sourceId, reason },
        schema: AnyAnswer,
      });
    },

    async writeOrderCancelled(channelOrderCode, sourceId, reason) {
      await requestJson(transport, {
        operation: 'writeOrderCancelled',
        method: 'POST',
        path: orderPath(channelOrderCode, 'cancelled'),
        body: { source_id: sourceId, reason },
        schema: AnyAnswer,
      });
    },
  };
}
