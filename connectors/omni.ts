/**
 * Omni Accounts through its REST web service `OmniWebServiceREST` (plain HTTP on the client's own server).
 *
 * Every call carries the credentials as query parameters, as in the one real call on record:
 * `?UserName=<user>&Password=<password>&CompanyName=<company, form-encoded>`. Resources have spaces and a
 * trailing slash (`/Sales%20Order/`); all paths are configurable so the connector can be pointed at the real one.
 *
 * Idempotent create: `reference` (the channel order code) is unique in Omni. A create answered
 * `409 "Document reference X already exists"` means an earlier attempt did raise the document (its answer was
 * lost, or the activity was retried), so createOrder looks the document up by reference and returns its number
 * as a success. Should the lookup find nothing (the reference is taken by something this service does not list),
 * the 409 is reported as RejectedBySourceError with Omni's message: a person must look.
 */
import { z } from 'zod';
import type { OmniSalesDocument } from '../domain';
import { MalformedAnswerError, RejectedBySourceError } from './errors';
import { createTransport, pageSizeWithin, requestJson, resourcePath, type Transport } from './http';
import { combineSource, documentOfOrder, type OrderWriter, type ProductPage, type ProductReader, type SourceConnector, type SourceOrderRef } from './source';

export interface OmniPaths {
  /** Ping resource; default `/Company/`. */
  company?: string;
  /** Stock item listing; default `/Stock Item/`. */
  stockItems?: string;
  /** Sales documents; default `/Sales Order/`. */
  salesOrders?: string;
}

export interface OmniConnectorOptions {
  /** Base URL of the web service, e.g. `http://127.0.0.1:8080`. */
  endpoint: string;
  userName: string;
  /** May be empty (Omni allows it). */
  password: string;
  companyName: string;
  timeoutMs?: number;
  paths?: OmniPaths;
}

/** The most stock items Omni is asked for in one page. */
export const OMNI_MAX_PAGE_SIZE = 1000;

const DEFAULT_PATHS: Required<OmniPaths> = {
  company: '/Company/',
  stockItems: '/Stock Item/',
  salesOrders: '/Sales Order/',
};

const CompanyAnswer = z.looseObject({ company_name: z.string() });

const StockItemPageAnswer = z.object({
  stock_items: z.array(z.record(z.string(), z.unknown())),
  next_after: z.string().min(1).nullable(),
});

const SalesOrderFound = z.looseObject({
  document_number: z.string().min(1),
  reference: z.string().optional(),
});

const SalesOrderListAnswer = z.object({ sales_orders: z.array(SalesOrderFound) });

const SalesOrderCreatedAnswer = z.object({ sales_order: z.looseObject({ document_number: z.string().min(1) }) });

interface OmniContext {
  transport: Transport;
  paths: Required<OmniPaths>;
}

function omniContext(options: OmniConnectorOptions): OmniContext {
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  const transport = createTransport('omni', {
    baseURL: options.endpoint,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    secrets: [options.password],
    login: `user "${options.userName}" of company "${options.companyName}"`,
    defaultParams: { UserName: options.userName, Password: options.password, CompanyName: options.companyName },
  });
  return {
    transport,
    paths: {
      company: resourcePath(paths.company),
      stockItems: resourcePath(paths.stockItems),
      salesOrders: resourcePath(paths.salesOrders),
    },
  };
}

/** Reads stock items through the web service's keyset listing (stands in for a direct database reader). */
export function createOmniProductReader(options: OmniConnectorOptions): ProductReader {
  return omniProductReader(omniContext(options));
}

/** Raises sales documents through the web service. */
export function createOmniOrderWriter(options: OmniConnectorOptions): OrderWriter<OmniSalesDocument> {
  return omniOrderWriter(omniContext(options));
}

export function createOmniConnector(options: OmniConnectorOptions): SourceConnector<OmniSalesDocument> {
  const context = omniContext(options);
  const ping = async (): Promise<void> => {
    await requestJson(context.transport, {
      operation: 'ping',
      method: 'GET',
      path: context.paths.company,
      schema: CompanyAnswer,
    });
  };
  return combineSource('omni', omniProductReader(context), omniOrderWriter(context), ping);
}

function omniProductReader({ transport, paths }: OmniContext): ProductReader {
  return {
    async listProducts(cursor: string | null, pageSize: number): Promise<ProductPage> {
      const limit = pageSizeWithin(pageSize, OMNI_MAX_PAGE_SIZE);
      const answer = await requestJson(transport, {
        operation: 'listProducts',
        method: 'GET',
        path: paths.stockItems,
        params: { after: cursor, limit },
        schema: StockItemPageAnswer,
      });
      if (answer.next_after !== null && answer.next_after === cursor) {
        throw new MalformedAnswerError('omni', 'listProducts', 'next_after', 'the cursor did not advance');
      }
      return { records: answer.stock_items, nextCursor: answer.next_after };
    },
  };
}

function omniOrderWriter({ transport, paths }: OmniContext): OrderWriter<OmniSalesDocument> {
  async function findOrder(channelOrderCode: string): Promise<SourceOrderRef | null> {
    const answer = await requestJson(transport, {
      operation: 'findOrder',
      method: 'GET',
      path: paths.salesOrders,
      params: { reference: channelOrderCode },
      schema: SalesOrderListAnswer,
    });
    return documentOfOrder(
      'omni',
      channelOrderCode,
      answer.sales_orders,
      (doc) => doc.reference,
      (doc) => doc.document_number,
    );
  }

  async function createOrder(document: OmniSalesDocument): Promise<SourceOrderRef> {
    try {
      const answer = await requestJson(transport, {
        operation: 'createOrder',
        method: 'POST',
        path: paths.salesOrders,
        body: document,
        schema: SalesOrderCreatedAnswer,
      });
      return { sourceOrderCode: answer.sales_order.document_number };
    } catch (error) {
      if (error instanceof RejectedBySourceError && error.status === 409) {
        const existing = await findOrder(document.reference);
        if (existing) return existing;
      }
      throw error;
    }
  }

  return { findOrder, createOrder };
}
