/**
 * iSync's message service, from iSync's side: one JSON message per call on the WCF endpoint's path,
 * credentials in the body, every answer `{"Result":"Success","Data":...}` or `{"Result":"Error","Message":...}`.
 * See simulators/README.md for the wire contract.
 */
import { catalogControlRoutes } from '../lib/catalog-control';
import { KeyedCatalog } from '../lib/keyed-catalog';
import { json, type Route, type SimRequest, type SimResponse } from '../lib/routes';
import { catalogSimulatorHandle, startSimulatorServer, type CatalogSimulator, type ServerOptions } from '../lib/server';
import { generateISyncCatalog } from './catalog';
import { ISyncOrders } from './orders';
import type { ISyncOrder, ISyncProduct } from './types';

export interface ISyncSimulatorOptions extends ServerOptions {
  /** How many SKUs to generate (default 100), or the exact records to hold. */
  items?: number | ISyncProduct[];
  /** How many generated records to break on purpose (default 0); see `malformedCodes`. */
  malformed?: number;
  /** Default `demo@isync.example` (compared without regard to case, as an email). */
  userName?: string;
  /** Default `isync`. */
  password?: string;
  /** What `Ping` answers; default `Demo Outdoor`. */
  company?: string;
  /** Default `/UAT2EAI/MessageService.svc`. */
  servicePath?: string;
  /**
   * Where the orders are kept (`<dataDir>/orders.json`): a restart on the same directory holds the
   * same orders and numbering continues. Default: memory only. The catalog is not kept.
   */
  dataDir?: string;
}

export type ISyncSimulator = CatalogSimulator<ISyncProduct, 'SKU', ISyncOrder>;

export const ISYNC_DEFAULTS = {
  port: 8081,
  items: 100,
  userName: 'demo@isync.example',
  password: 'isync',
  company: 'Demo Outdoor',
  servicePath: '/UAT2EAI/MessageService.svc',
};

const MAX_PAGE = 500;
const DEFAULT_PAGE = 20;

const success = (data: unknown): SimResponse => json(200, { Result: 'Success', Data: data });
const failure = (status: number, message: string): SimResponse => json(status, { Result: 'Error', Message: message });

export async function startISyncSimulator(options: ISyncSimulatorOptions): Promise<ISyncSimulator> {
  const seed = options.seed ?? 1;
  const items = options.items ?? ISYNC_DEFAULTS.items;
  const generated = typeof items === 'number' ? generateISyncCatalog(items, seed, options.malformed) : { items, malformedCodes: [] };
  const catalog = new KeyedCatalog<ISyncProduct>((product) => product.SKU, generated.items);
  const orders = new ISyncOrders(catalog, options.dataDir);
  const userName = (options.userName ?? ISYNC_DEFAULTS.userName).toLowerCase();
  const password = options.password ?? ISYNC_DEFAULTS.password;
  const company = options.company ?? ISYNC_DEFAULTS.company;
  const servicePath = (options.servicePath ?? ISYNC_DEFAULTS.servicePath).replace(/\/+$/, '');

  const operations: Record<string, (params: Record<string, unknown>, request: SimRequest) => SimResponse> = {
    Ping: () => success({ Company: company }),
    GetProducts: (params) => {
      const after = params.AfterSKU ?? null;
      if (after !== null && typeof after !== 'string') return failure(400, 'AfterSKU must be a SKU or null');
      const pageSize = params.PageSize ?? DEFAULT_PAGE;
      if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) {
        return failure(400, `PageSize must be a whole number from 1 to ${MAX_PAGE}`);
      }
      const page = catalog.page(after || null, pageSize);
      return success({ Products: page.items, NextAfterSKU: page.nextAfter });
    },
    FindOrder: (params, { faults }) => {
      if (typeof params.PONumber !== 'string') return failure(400, 'PONumber is required');
      // Faults of a source with a broken filter, or one that does not echo the key.
      const found = faults.ignoreFindFilter ? orders.visible() : orders.find(params.PONumber);
      return success({
        Orders: found.map((order) => (faults.omitFindReference ? { OrderID: order.OrderID } : { OrderID: order.OrderID, PONumber: order.PONumber })),
      });
    },
    CreateOrder: (params, { faults, receivedAt }) => {
      const result = orders.create(params.Order, { visibleAt: receivedAt + (faults.commitDelayMs ?? 0) });
      return 'order' in result ? success({ OrderID: result.order.OrderID }) : failure(422, result.error);
    },
  };

  const paramsOf = (request: SimRequest): Record<string, unknown> =>
    typeof request.body === 'object' && request.body !== null && !Array.isArray(request.body) ? (request.body as Record<string, unknown>) : {};

  const routes: Route[] = [
    ...Object.entries(operations).map(([name, operation]): Route => ({
      method: 'POST',
      path: `${servicePath}/${name}`,
      creates: name === 'CreateOrder',
      handle: (request) => operation(paramsOf(request), request),
    })),
    {
      method: 'POST',
      path: `${servicePath}/:operation`,
      handle: ({ params }) => failure(404, `Unknown operation ${params.operation}`),
    },
  ];

  const controls = await startSimulatorServer(
    {
      name: 'iSync',
      routes,
      controlRoutes: catalogControlRoutes(catalog),
      state: () => ({
        company,
        catalog_size: catalog.size,
        malformed_codes: generated.malformedCodes,
        orders: orders.all(),
        data_dir: options.dataDir ?? null,
      }),
      authenticate: (request) => {
        const { UserName, Password } = paramsOf(request);
        return typeof UserName === 'string' && UserName.toLowerCase() === userName && Password === password;
      },
      errorBody: (message) => ({ Result: 'Error', Message: message }),
      unauthorizedMessage: 'Invalid username or password',
      secretQueryKeys: ['Password'],
    },
    { ...options, port: options.port ?? 0 },
  );

  return catalogSimulatorHandle(controls, catalog, generated.malformedCodes, () => orders.all());
}
