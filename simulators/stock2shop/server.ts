/**
 * Stock2Shop, the hub, from its side: receives source products on its queue, holds orders for sources to
 * raise, takes their write-backs, and announces new orders on a webhook. See simulators/README.md.
 */
import { createHmac } from 'node:crypto';
import { json, type Route } from '../lib/routes';
import { startSimulatorServer, messageOf, type ServerOptions, type SimulatorControls } from '../lib/server';
import { isObject, validateQueueBatch } from './queue-validation';
import { Stock2ShopSessions, type SimulatedUser } from './sessions';
import { Stock2ShopStore } from './store';
import type { HeldOrder, ReceivedProduct, Stock2ShopOrder, WebhookDelivery, WebhookPayload, WriteBack } from './types';

export interface Stock2ShopSimulatorOptions extends ServerOptions {
  /** Default `demo-token` (when neither `token` nor `tokens` is given). */
  token?: string;
  /** More tokens, e.g. one per source; any of them (or `token`) authenticates. */
  tokens?: string[];
  /** Where received products and orders are kept across restarts; none keeps them in memory only. */
  dataDir?: string;
  /** Where a new order is announced (POST); `{source_id}` in it is replaced by the order's source; none announces nothing. */
  webhookUrl?: string;
  /**
   * Signs every webhook delivery: `X-Stock2Shop-Timestamp: <unix seconds>` and
   * `X-Stock2Shop-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. None: unsigned.
   */
  webhookSecret?: string;
  /** A secret per source id (as Stock2Shop keeps one per source), used before `webhookSecret`. */
  webhookSecrets?: Record<string, string>;
  /** API users who log in (`POST /v1/users/authenticate`) for ephemeral tokens; the latest login of a user wins. */
  users?: SimulatedUser[];
  /** How long a login's token lasts; default one hour. */
  tokenTtlMs?: number;
  /** Authenticated requests per second per account (Stock2Shop's is about 3); none: unlimited. */
  rateLimitPerSecond?: number;
}

export interface Stock2ShopSimulator extends SimulatorControls {
  /** The API's base, `<url>/v1`, as Stock2Shop publishes it (`url` is the server's, for `/_control`). */
  readonly apiUrl: string;
  /** Every login, in order. */
  logins(): { username: string; at: number }[];
  /** Ends every login's token now (they expire). */
  expireTokens(): void;
  /** Every `{source, product}` item received, in order (including those of earlier runs on the same dataDir). */
  receivedProducts(): ReceivedProduct[];
  /**
   * Holds the order now (throws if its code is taken or it has none) and announces it on the webhook;
   * the promise, which never rejects, tells how the delivery went (null without a webhook).
   */
  addOrder(order: Stock2ShopOrder): Promise<WebhookDelivery | null>;
  /** The order with its write-backs; throws when nothing is known of that code. */
  order(code: string): HeldOrder;
  orders(): HeldOrder[];
  /**
   * Replaces the content of a held order (same code; throws if none is held), clears its failure and
   * announces it again, as Stock2Shop does when an order is edited and re-sent.
   */
  replaceOrder(order: Stock2ShopOrder): Promise<WebhookDelivery | null>;
  /** Sends the webhook of a held order again (a duplicate delivery); throws if none is held. */
  announce(code: string): Promise<WebhookDelivery | null>;
  setWebhookUrl(url: string | null): void;
  /** Null (or empty) turns signing off. */
  setWebhookSecret(secret: string | null): void;
  webhookDeliveries(): WebhookDelivery[];
}

export const STOCK2SHOP_DEFAULTS = {
  port: 8082,
  token: 'demo-token',
  dataDir: '.data/stock2shop',
};

const WEBHOOK_TIMEOUT_MS = 10_000;

export const STOCK2SHOP_TIMESTAMP_HEADER = 'X-Stock2Shop-Timestamp';
export const STOCK2SHOP_SIGNATURE_HEADER = 'X-Stock2Shop-Signature';

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, over the body's exact UTF-8 bytes. */
function signature(secret: string, timestamp: string, body: Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`, 'utf8');
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

export async function startStock2ShopSimulator(options: Stock2ShopSimulatorOptions): Promise<Stock2ShopSimulator> {
  const given = [...(options.token !== undefined ? [options.token] : []), ...(options.tokens ?? [])];
  const tokens = new Set(given.length > 0 || (options.users ?? []).length > 0 ? given : [STOCK2SHOP_DEFAULTS.token]);
  const sessions = new Stock2ShopSessions({
    users: options.users ?? [],
    fixedTokens: [...tokens],
    tokenTtlMs: options.tokenTtlMs ?? 60 * 60 * 1000,
    ...(options.rateLimitPerSecond === undefined ? {} : { rateLimitPerSecond: options.rateLimitPerSecond }),
  });
  const store = new Stock2ShopStore(options.dataDir ?? null);
  let webhookUrl: string | null = options.webhookUrl ?? null;
  let webhookSecret: string | null = options.webhookSecret || null;
  const webhookSecrets = new Map(Object.entries(options.webhookSecrets ?? {}));
  const deliveries: WebhookDelivery[] = [];

  const deliver = async (order: Stock2ShopOrder): Promise<WebhookDelivery | null> => {
    const sourceId = order.sources?.[0]?.source_id ?? null;
    const url = webhookUrl?.replaceAll('{source_id}', encodeURIComponent(String(sourceId ?? '')));
    if (!url) return null;
    const secret = webhookSecrets.get(String(sourceId)) ?? webhookSecret;
    const payload: WebhookPayload = {
      instruction: 'add_order',
      source_id: sourceId,
      channel_order_code: order.channel_order_code,
      order,
    };
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (secret) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      headers[STOCK2SHOP_TIMESTAMP_HEADER] = timestamp;
      headers[STOCK2SHOP_SIGNATURE_HEADER] = signature(secret, timestamp, body);
    }
    const delivery: WebhookDelivery = {
      at: new Date().toISOString(),
      url,
      channel_order_code: order.channel_order_code,
      signed: secret !== null,
      status: null,
    };
    try {
      const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
      await response.arrayBuffer();
      delivery.status = response.status;
    } catch (error) {
      delivery.error = messageOf(error);
    }
    deliveries.push(delivery);
    return delivery;
  };

  const addOrder = (order: unknown): Promise<WebhookDelivery | null> => {
    if (!isObject(order) || typeof order.channel_order_code !== 'string' || order.channel_order_code.trim() === '') {
      throw new TypeError('An order needs a channel_order_code');
    }
    const held = store.addOrder({ instruction: 'add_order', ...order } as Stock2ShopOrder);
    return deliver(held.order as Stock2ShopOrder);
  };

  const replaceOrder = (order: unknown): Promise<WebhookDelivery | null> => {
    if (!isObject(order) || typeof order.channel_order_code !== 'string' || order.channel_order_code.trim() === '') {
      throw new TypeError('An order needs a channel_order_code');
    }
    const held = store.replaceOrder({ instruction: 'add_order', ...order } as Stock2ShopOrder);
    return deliver(held.order as Stock2ShopOrder);
  };

  const announce = (code: string): Promise<WebhookDelivery | null> => {
    const order = store.order(code)?.order;
    if (!order) throw new Error(`Stock2Shop simulator holds no order ${code}`);
    return deliver(order);
  };

  const pending = (held: HeldOrder, sourceId: string | null, instruction: string | null) =>
    held.order !== null &&
    held.source_order_code === null &&
    held.failure_reason === null &&
    !held.cancelled_reason &&
    (instruction === null || held.order.instruction === instruction) &&
    (sourceId === null || (held.order.sources ?? []).some((source) => String(source.source_id) === sourceId));

  const writeBackRoute = (kind: WriteBack['kind'], field: 'source_order_code' | 'reason'): Route => ({
    method: 'POST',
    path: `/orders/:code/${kind}`,
    handle: ({ params, body }) => {
      if (!isObject(body)) return json(400, { errors: 'body must be a JSON object' });
      const sourceId = body.source_id;
      if (typeof sourceId !== 'number' && (typeof sourceId !== 'string' || sourceId === '')) return json(400, { errors: 'source_id is required' });
      const value = body[field];
      if (typeof value !== 'string' || value.trim() === '') return json(400, { errors: `${field} is required` });
      const held = store.writeBack(params.code ?? '', { at: new Date().toISOString(), kind, source_id: sourceId, value });
      return json(200, {
        order: {
          channel_order_code: held.channel_order_code,
          source_order_code: held.source_order_code,
          failure_reason: held.failure_reason,
          cancelled_reason: held.cancelled_reason ?? null,
        },
      });
    },
  });

  const unprefixedRoutes: Route[] = [
    {
      method: 'POST',
      path: '/users/authenticate',
      public: true,
      handle: ({ body }) => {
        const login = sessions.login(body);
        if (!login.ok) return json(401, { errors: login.message });
        return json(200, { system_user: { username: login.user.username, client_name: login.user.account ?? 'default', token: login.token, active: 1 } });
      },
    },
    {
      method: 'POST',
      path: '/products/queue',
      handle: ({ body }) => {
        const batch = validateQueueBatch(body);
        if ('error' in batch) return json(400, { errors: batch.error });
        const receivedAt = new Date().toISOString();
        store.appendReceived(batch.items.map((item) => ({ received_at: receivedAt, ...item })));
        return json(200, { system_products: { queued: batch.items.length } });
      },
    },
    {
      method: 'GET',
      path: '/queue/summary',
      handle: () => {
        const received = store.receivedCount();
        return json(200, { queue: { received, processed: received, pending: 0 } });
      },
    },
    {
      method: 'GET',
      path: '/orders',
      handle: ({ query }) => {
        const waiting = store.orders().filter((held) => pending(held, query.get('source_id'), query.get('instruction')));
        return json(200, { orders: waiting.map((held) => held.order) });
      },
    },
    {
      method: 'GET',
      path: '/orders/:code',
      handle: ({ params, query }) => {
        const code = params.code ?? '';
        const order = store.order(code)?.order;
        const sourceId = query.get('source_id');
        const forSource = sourceId === null || (order?.sources ?? []).some((source) => String(source.source_id) === sourceId);
        return order && forSource ? json(200, { order }) : json(404, { errors: `Order ${code} not found` });
      },
    },
    writeBackRoute('source_order_code', 'source_order_code'),
    writeBackRoute('failure', 'reason'),
    writeBackRoute('cancelled', 'reason'),
  ];
  // The API as Stock2Shop publishes it: under /v1.
  const routes: Route[] = unprefixedRoutes.map((route) => ({ ...route, path: `/v1${route.path}` }));

  const controlRoutes: Route[] = [
    { method: 'GET', path: '/_control/logins', handle: () => json(200, { logins: sessions.logins }) },
    {
      method: 'POST',
      path: '/_control/tokens/expire',
      handle: () => {
        sessions.expireAll();
        return json(200, { expired: true });
      },
    },
    { method: 'GET', path: '/_control/orders', handle: () => json(200, { orders: store.orders() }) },
    {
      method: 'POST',
      path: '/_control/orders',
      handle: ({ body }) => {
        try {
          void addOrder(body);
        } catch (error) {
          return json(error instanceof TypeError ? 400 : 409, { error: messageOf(error) });
        }
        return json(201, { order: store.order((body as Stock2ShopOrder).channel_order_code) });
      },
    },
    {
      method: 'GET',
      path: '/_control/orders/:code',
      handle: ({ params }) => {
        const held = store.order(params.code ?? '');
        return held ? json(200, { order: held }) : json(404, { error: `Order ${params.code} not found` });
      },
    },
    {
      method: 'PUT',
      path: '/_control/orders/:code',
      handle: ({ params, body }) => {
        const code = params.code ?? '';
        if (!isObject(body)) return json(400, { error: 'body must be a JSON object (the order)' });
        if (body.channel_order_code !== undefined && body.channel_order_code !== code) {
          return json(400, { error: `channel_order_code ${String(body.channel_order_code)} does not match ${code}` });
        }
        if (!store.order(code)?.order) return json(404, { error: `Order ${code} not found` });
        void replaceOrder({ ...body, channel_order_code: code });
        return json(200, { order: store.order(code) });
      },
    },
    {
      method: 'POST',
      path: '/_control/orders/:code/announce',
      handle: ({ params }) => {
        const code = params.code ?? '';
        if (!store.order(code)?.order) return json(404, { error: `Order ${code} not found` });
        void announce(code);
        return json(202, { announced: code, url: webhookUrl });
      },
    },
    {
      method: 'GET',
      path: '/_control/products',
      handle: ({ query }) => {
        const sourceId = query.get('source_id');
        const products = store.receivedProducts().filter((item) => sourceId === null || String(item.source.source_id) === sourceId);
        return json(200, { products });
      },
    },
    {
      method: 'GET',
      path: '/_control/webhook',
      handle: () => json(200, { url: webhookUrl, signed: webhookSecret !== null || webhookSecrets.size > 0, deliveries }),
    },
    {
      method: 'PUT',
      path: '/_control/webhook',
      handle: ({ body }) => {
        const usage = 'body must be {"url"?: "<url>" | null, "secret"?: "<secret>" | null} with at least one of them';
        if (!isObject(body) || (!('url' in body) && !('secret' in body))) return json(400, { error: usage });
        const { url, secret } = body;
        if ('url' in body && url !== null && typeof url !== 'string') return json(400, { error: usage });
        if ('secret' in body && secret !== null && typeof secret !== 'string') return json(400, { error: usage });
        if ('url' in body) webhookUrl = (url as string | null) || null;
        if ('secret' in body) webhookSecret = (secret as string | null) || null;
        return json(200, { url: webhookUrl, signed: webhookSecret !== null });
      },
    },
  ];

  const controls = await startSimulatorServer(
    {
      name: 'Stock2Shop',
      routes,
      controlRoutes,
      state: () => ({
        received_products: store.receivedCount(),
        orders: store.orders(),
        webhook_url: webhookUrl,
        webhook_signed: webhookSecret !== null || webhookSecrets.size > 0,
        data_dir: options.dataDir ?? null,
      }),
      authenticate: ({ query }) => sessions.accountOf(query.get('token')) !== undefined,
      admit: ({ query }) =>
        sessions.admit(sessions.accountOf(query.get('token'))!)
          ? undefined
          : json(429, { errors: 'Rate limit exceeded' }, { 'x-S2S-RateLimit': String(sessions.rateLimitPerSecond) }),
      errorBody: (message) => ({ errors: message }),
      unauthorizedMessage: 'Invalid token',
      secretQueryKeys: ['token'],
    },
    { ...options, port: options.port ?? 0 },
  );

  return {
    ...controls,
    apiUrl: `${controls.url}/v1`,
    logins: () => [...sessions.logins],
    expireTokens: () => sessions.expireAll(),
    receivedProducts: () => store.receivedProducts(),
    addOrder,
    order(code) {
      const held = store.order(code);
      if (!held) throw new Error(`Stock2Shop simulator holds no order ${code}`);
      return held;
    },
    orders: () => store.orders(),
    replaceOrder,
    announce,
    setWebhookUrl(url) {
      webhookUrl = url;
    },
    setWebhookSecret(secret) {
      webhookSecret = secret || null;
    },
    webhookDeliveries: () => [...deliveries],
  };
}
