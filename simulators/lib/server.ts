/**
 * The HTTP side every simulator shares: listening (and really stopping listening when offline), the fault
 * set, the request log and the `/_control/*` routes. A system supplies only its routes, its credentials
 * check and the shape of its error bodies.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_ERROR_STATUS, DEFAULT_RETRY_AFTER_SECONDS, FaultSetSchema, mergeFaults, type ActiveFaults, type FaultSet } from './faults';
import { BodyTooLargeError, delay, parseJsonBody, readBody, send } from './http-io';
import { createRandom } from './random';
import type { KeyedCatalog } from './keyed-catalog';
import { RequestLog, type RequestLogEntry, type RequestOutcome } from './request-log';
import { decodeSegments, json, matchRoute, type Route, type SimRequest, type SimResponse } from './routes';

export interface SimulatorSystem {
  /** For messages, e.g. "Omni Accounts". */
  name: string;
  routes: readonly Route[];
  /** Extra `/_control/...` routes (full paths); never faulted, never logged, no credentials. */
  controlRoutes?: readonly Route[];
  /** What `GET /_control/state` answers. */
  state(): unknown;
  authenticate(request: SimRequest): boolean;
  /** After the credentials: an answer that refuses the call (e.g. 429 over a rate limit), or undefined to go on. */
  admit?(request: SimRequest): SimResponse | undefined;
  /** The system's own error body for a message. */
  errorBody(message: string): unknown;
  unauthorizedMessage: string;
  /** Query parameters replaced by `***` in the request log. */
  secretQueryKeys: readonly string[];
}

export interface ServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seeds the fault draws (errorRate). */
  seed?: number;
  /** Newest entries kept in the request log; default 10,000. */
  requestLogLimit?: number;
}

/** What every simulator handle offers, whatever the system. */
export interface SimulatorControls {
  readonly url: string;
  readonly port: number;
  /** Stops listening for good (also cancels an `offlineForMs` return). */
  close(): Promise<void>;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  faults(): ActiveFaults & { offline: boolean };
  /** Merges a fault set; resolves once an `offline` / `offlineForMs` switch has happened. */
  setFaults(faults: FaultSet): Promise<void>;
  /** Clears every fault, including offline (the server listens again on the same port). */
  clearFaults(): Promise<void>;
  setOffline(offline: boolean): Promise<void>;
  isOnline(): boolean;
}

/** A source system holding a catalog keyed by `Key` and the orders it was sent (Omni, iSync). */
export interface CatalogSimulator<Item, Key extends keyof Item, Order> extends SimulatorControls {
  /** Every record, in key order. */
  catalog(): Item[];
  item(code: string): Item | undefined;
  addItem(item: Item): void;
  updateItem(code: string, patch: Partial<Omit<Item, Key>>): Item;
  removeItem(code: string): void;
  /** Codes of the generated records broken on purpose. */
  readonly malformedCodes: readonly string[];
  /** Every order, in the order created. */
  orders(): Order[];
}

/** The handle of a catalog simulator: its controls, plus its catalog and orders read and changed directly. */
export function catalogSimulatorHandle<Item extends object, Key extends keyof Item, Order>(
  controls: SimulatorControls,
  catalog: KeyedCatalog<Item>,
  malformedCodes: readonly string[],
  orders: () => Order[],
): CatalogSimulator<Item, Key, Order> {
  return {
    ...controls,
    catalog: () => catalog.all(),
    item: (code) => catalog.get(code),
    addItem: (item) => catalog.add(item),
    updateItem: (code, patch) => catalog.update(code, patch as Partial<Item>),
    removeItem: (code) => catalog.remove(code),
    malformedCodes,
    orders,
  };
}

const MALFORMED_JSON = { status: 'ok', data: null };
const MALFORMED_TEXT = '<html><body><h1>Service Temporarily Unavailable</h1></body></html>';

export async function startSimulatorServer(system: SimulatorSystem, options: ServerOptions = {}): Promise<SimulatorControls> {
  const host = options.host ?? '127.0.0.1';
  const log = new RequestLog(system.secretQueryKeys, options.requestLogLimit ?? 10_000);
  const random = createRandom((options.seed ?? 1) ^ 0x5eed);
  let active: ActiveFaults = {};
  let listening = false;
  let closed = false;
  let returnTimer: NodeJS.Timeout | undefined;
  // Offline switches run one after another, so quick on/off calls cannot interleave listen and close.
  let switching: Promise<void> = Promise.resolve();

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      send(response, json(500, system.errorBody(`Internal simulator error: ${messageOf(error)}`)));
    });
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        listening = true;
        resolve();
      });
    });

  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
      // Keep-alive sockets too: a client must see the system gone, not a half-open connection.
      server.closeAllConnections();
    });

  server.on('connection', (socket) => {
    if (!active.refuseConnections) return;
    log.add({ at: new Date().toISOString(), method: '-', path: '-', query: {}, status: null, outcome: 'refused', durationMs: 0 });
    socket.resetAndDestroy();
  });

  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;

  const switchTo = (offline: boolean): Promise<void> => {
    const next = switching.then(() => {
      if (closed) return;
      return offline ? stopListening() : listening ? undefined : listen(port);
    });
    switching = next.catch(() => undefined);
    return next;
  };

  const cancelReturn = () => {
    if (returnTimer) clearTimeout(returnTimer);
    returnTimer = undefined;
  };

  const setOffline = (offline: boolean): Promise<void> => {
    cancelReturn();
    return switchTo(offline);
  };

  const offlineFor = async (ms: number): Promise<void> => {
    await setOffline(true);
    returnTimer = setTimeout(() => {
      returnTimer = undefined;
      switchTo(false).catch((error: unknown) => {
        process.stderr.write(`${system.name} simulator could not listen again on port ${port}: ${messageOf(error)}\n`);
      });
    }, ms);
  };

  const applySwitch = (update: FaultSet): Promise<void> => {
    // Connections already open would bypass the refusal; drop them so every new request reconnects.
    if (update.refuseConnections) server.closeAllConnections();
    if (update.offlineForMs !== undefined) return offlineFor(update.offlineForMs);
    if (update.offline !== undefined) return setOffline(update.offline);
    return Promise.resolve();
  };

  const faults = () => ({ ...active, offline: !listening });

  const controlRoutes: Route[] = [
    { method: 'GET', path: '/_control/requests', handle: () => json(200, { requests: log.all() }) },
    {
      method: 'DELETE',
      path: '/_control/requests',
      handle: () => {
        log.clear();
        return json(200, { requests: [] });
      },
    },
    { method: 'GET', path: '/_control/faults', handle: () => json(200, { faults: faults() }) },
    {
      method: 'POST',
      path: '/_control/faults',
      handle: (request) => {
        const parsed = FaultSetSchema.safeParse(request.body ?? {});
        if (!parsed.success) return json(400, { error: `Invalid fault set: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
        active = mergeFaults(active, parsed.data);
        const goesOffline = parsed.data.offlineForMs !== undefined || parsed.data.offline === true;
        return {
          ...json(200, { faults: { ...active, offline: goesOffline } }),
          after: () => void applySwitch(parsed.data).catch(() => undefined),
        };
      },
    },
    {
      method: 'DELETE',
      path: '/_control/faults',
      handle: () => {
        active = {};
        return json(200, { faults: faults() });
      },
    },
    { method: 'GET', path: '/_control/state', handle: () => json(200, system.state()) },
    ...(system.controlRoutes ?? []),
  ];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://simulator');
    let path = url.pathname;
    let segments: string[] = [];
    let pathReadable = true;
    try {
      segments = decodeSegments(url.pathname);
      path = segments.join('/');
    } catch {
      pathReadable = false;
    }
    const isControl = segments[1] === '_control';
    const record = (status: number | null, outcome: RequestOutcome) =>
      log.add({
        at: new Date(started).toISOString(),
        method,
        path,
        query: log.redactedQuery(url.searchParams),
        status,
        outcome,
        durationMs: Date.now() - started,
      });
    const answer = (result: SimResponse, outcome: RequestOutcome) => {
      const delivered = !response.destroyed;
      send(response, result);
      if (!isControl) record(delivered ? result.status : null, delivered ? outcome : 'dropped');
    };

    let text: string;
    try {
      text = await readBody(request);
    } catch (error) {
      if (error instanceof BodyTooLargeError) answer(json(413, system.errorBody(error.message)), 'invalid-request');
      return; // otherwise the client went away mid-body
    }
    if (!pathReadable) return answer(json(400, system.errorBody('The path is not validly encoded')), 'invalid-request');
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch {
      return answer(json(400, isControl ? { error: 'Body is not valid JSON' } : system.errorBody('Body is not valid JSON')), 'invalid-request');
    }

    if (isControl) {
      const found = matchRoute(controlRoutes, method, segments);
      if (!found.route) return answer(json(404, { error: `No control route ${method} ${path}` }), 'not-found');
      const controlRequest: SimRequest = { method, path, query: url.searchParams, body, params: found.params, faults: active, receivedAt: started };
      return answer(await found.route.handle(controlRequest), 'answered');
    }

    const faultsNow = active;
    const target = `${path}?${decodeQuery(url.search)}`;
    if (faultsNow.resetRequestsMatching?.some((text) => target.includes(text))) {
      record(null, 'fault:reset');
      request.socket.resetAndDestroy();
      return;
    }
    if (faultsNow.latencyMs) await delay(faultsNow.latencyMs);
    if (faultsNow.errorRate && random.next() < faultsNow.errorRate) {
      const status = faultsNow.status ?? DEFAULT_ERROR_STATUS;
      const headers = status === 429 ? { 'Retry-After': String(faultsNow.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) } : undefined;
      return answer(json(status, system.errorBody(`Injected fault: ${status}`), headers), 'fault:error');
    }
    if (faultsNow.authFailure) return answer(json(401, system.errorBody(system.unauthorizedMessage)), 'fault:auth');

    const found = matchRoute(system.routes, method, segments);
    if (!found.route) {
      return found.pathMatched
        ? answer(json(405, system.errorBody(`Method ${method} is not allowed on ${path}`)), 'not-found')
        : answer(json(404, system.errorBody(`Not found: ${path}`)), 'not-found');
    }
    const simRequest: SimRequest = { method, path, query: url.searchParams, body, params: found.params, faults: faultsNow, receivedAt: started };
    if (!found.route.public && !system.authenticate(simRequest)) return answer(json(401, system.errorBody(system.unauthorizedMessage)), 'unauthorized');
    const refused = found.route.public ? undefined : system.admit?.(simRequest);
    if (refused) return answer(refused, 'refused');
    if (faultsNow.malformed === 'text') return answer({ status: 200, text: MALFORMED_TEXT, contentType: 'text/html' }, 'fault:malformed');
    if (faultsNow.malformed) return answer(json(200, MALFORMED_JSON), 'fault:malformed');

    let result: SimResponse;
    try {
      result = await found.route.handle(simRequest);
    } catch (error) {
      return answer(json(500, system.errorBody(`Internal simulator error: ${messageOf(error)}`)), 'failed');
    }
    if (found.route.creates && result.status < 300 && (active.loseCreateResponse ?? 0) > 0) {
      active = { ...active, loseCreateResponse: (active.loseCreateResponse ?? 1) - 1 };
      record(null, 'fault:lost-response');
      request.socket.destroy();
      return;
    }
    answer(result, 'answered');
  }

  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    async close() {
      cancelReturn();
      await switching;
      closed = true;
      await stopListening();
    },
    requests: () => log.all(),
    clearRequests: () => log.clear(),
    faults,
    setFaults(update) {
      const parsed = FaultSetSchema.parse(update);
      active = mergeFaults(active, parsed);
      return applySwitch(parsed);
    },
    clearFaults() {
      active = {};
      return setOffline(false);
    },
    setOffline,
    isOnline: () => listening,
  };
}

function decodeQuery(search: string): string {
  try {
    return decodeURIComponent(search.replace(/^\?/, '').replace(/\+/g, ' '));
  } catch {
    return search;
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
