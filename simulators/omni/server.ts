/**
 * Omni Accounts' `OmniWebServiceREST`, from Omni's side: credentials in the query string, resources named
 * with spaces and a trailing slash. See simulators/README.md for the wire contract.
 */
import { catalogControlRoutes } from '../lib/catalog-control';
import { KeyedCatalog } from '../lib/keyed-catalog';
import { json, type Route } from '../lib/routes';
import { catalogSimulatorHandle, startSimulatorServer, type CatalogSimulator, type ServerOptions } from '../lib/server';
import { generateOmniCatalog } from './catalog';
import { OmniSalesOrders } from './sales-orders';
import type { OmniSalesOrder, OmniStockItem } from './types';

export interface OmniSimulatorOptions extends ServerOptions {
  /** How many stock items to generate (default 100), or the exact records to hold. */
  items?: number | OmniStockItem[];
  /** How many generated records to break on purpose (default 0); see `malformedCodes`. */
  malformed?: number;
  /** Default `Guest`. */
  userName?: string;
  /** Default `omni`. */
  password?: string;
  /** Default `Demo Trading (PTY) LTD`. */
  companyName?: string;
  /** Known customer accounts; default CASH001, WEB001, ACC001, TRADE001. */
  customers?: string[];
  /** Known warehouses, the first being the default; default 1, 2. */
  warehouses?: string[];
  /**
   * Where the sales orders are kept (`<dataDir>/sales-orders.json`): a restart on the same directory
   * holds the same documents and numbering continues. Default: memory only. The catalog is not kept.
   */
  dataDir?: string;
}

export type OmniSimulator = CatalogSimulator<OmniStockItem, 'STOCKCODE', OmniSalesOrder>;

export const OMNI_DEFAULTS = {
  port: 8080,
  items: 100,
  userName: 'Guest',
  password: 'omni',
  companyName: 'Demo Trading (PTY) LTD',
  customers: ['CASH001', 'WEB001', 'ACC001', 'TRADE001'],
  warehouses: ['1', '2'],
};

const OMNI_VERSION = '7.13.63 3345';
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

export async function startOmniSimulator(options: OmniSimulatorOptions): Promise<OmniSimulator> {
  const seed = options.seed ?? 1;
  const items = options.items ?? OMNI_DEFAULTS.items;
  const generated = typeof items === 'number' ? generateOmniCatalog(items, seed, options.malformed) : { items, malformedCodes: [] };
  const catalog = new KeyedCatalog<OmniStockItem>((item) => item.STOCKCODE, generated.items);
  const companyName = options.companyName ?? OMNI_DEFAULTS.companyName;
  const login = {
    UserName: options.userName ?? OMNI_DEFAULTS.userName,
    Password: options.password ?? OMNI_DEFAULTS.password,
    CompanyName: companyName,
  };
  const warehouses = options.warehouses ?? OMNI_DEFAULTS.warehouses;
  const salesOrders = new OmniSalesOrders(catalog, new Set(options.customers ?? OMNI_DEFAULTS.customers), warehouses, options.dataDir);

  const routes: Route[] = [
    { method: 'GET', path: '/Company/', handle: () => json(200, { company_name: companyName, version: OMNI_VERSION }) },
    {
      method: 'GET',
      path: '/Stock Item/',
      handle: ({ query }) => {
        const limitText = query.get('limit') ?? String(DEFAULT_PAGE);
        const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
        if (!(limit >= 1 && limit <= MAX_PAGE)) return json(400, { error: `limit must be a whole number from 1 to ${MAX_PAGE}` });
        const page = catalog.page(query.get('after') || null, limit);
        return json(200, { stock_items: page.items, next_after: page.nextAfter });
      },
    },
    {
      method: 'GET',
      path: '/Sales Order/',
      handle: ({ query, faults }) => {
        const reference = query.get('reference');
        if (reference === null) return json(200, { sales_orders: salesOrders.visible() });
        // Faults of a source with a broken filter, or one that does not echo the key.
        const found = faults.ignoreFindFilter ? salesOrders.visible() : salesOrders.byReferenceOf(reference);
        const answered = faults.omitFindReference ? found.map(({ reference: _reference, ...rest }) => rest) : found;
        return json(200, { sales_orders: answered });
      },
    },
    {
      method: 'POST',
      path: '/Sales Order/',
      creates: true,
      handle: ({ body, faults, receivedAt }) => {
        const result = salesOrders.create(body, { visibleAt: receivedAt + (faults.commitDelayMs ?? 0) });
        return 'document' in result ? json(201, { sales_order: result.document }) : json(result.status, { error: result.error });
      },
    },
  ];

  const controls = await startSimulatorServer(
    {
      name: 'Omni Accounts',
      routes,
      controlRoutes: catalogControlRoutes(catalog),
      state: () => ({
        company_name: companyName,
        catalog_size: catalog.size,
        malformed_codes: generated.malformedCodes,
        customers: options.customers ?? OMNI_DEFAULTS.customers,
        warehouses,
        sales_orders: salesOrders.all(),
        data_dir: options.dataDir ?? null,
      }),
      authenticate: ({ query }) => Object.entries(login).every(([key, expected]) => (query.get(key) ?? '') === expected),
      errorBody: (message) => ({ error: message }),
      unauthorizedMessage: 'Invalid username or password',
      secretQueryKeys: ['Password'],
    },
    { ...options, port: options.port ?? 0 },
  );

  return catalogSimulatorHandle(controls, catalog, generated.malformedCodes, () => salesOrders.all());
}
