/**
 * iSync through its message service. The real endpoint is a WCF service (`/UAT2EAI/MessageService.svc`) whose
 * operations are not public; this connector speaks the JSON message shape documented in simulators/README.md:
 * `POST <servicePath>/<Operation>` with `{"UserName","Password",...params}`, answered
 * `{"Result":"Success","Data":{...}}` or `{"Result":"Error","Message":"..."}`.
 *
 * Errors: HTTP 401 → AuthenticationError; an Error envelope (HTTP 422, or any status) → RejectedBySourceError with
 * iSync's Message verbatim — except an Error envelope inside a 2xx whose message is a refused login, which is an
 * AuthenticationError too (a WCF service may well answer every error with 200).
 *
 * Idempotent create: PONumber is unique in iSync; a create refused with "PONumber X already exists" means an
 * earlier attempt raised it, so createOrder looks it up with FindOrder and returns its OrderID.
 */
import { z } from 'zod';
import type { ISyncOrder } from '../domain';
import { AuthenticationError, MalformedAnswerError, RejectedBySourceError, SYSTEM_LABEL } from './errors';
import { classifyStatus, formatPath } from './classify';
import { scrub } from './redaction';
import { classifyOptions, createTransport, pageSizeWithin, requestJson, resourcePath, type Transport } from './http';
import { combineSource, documentOfOrder, type OrderWriter, type ProductReader, type SourceConnector, type SourceOrderRef } from './source';

export interface ISyncConnectorOptions {
  /** Base URL, e.g. `http://host:81`. */
  endpoint: string;
  /** User name or email. */
  userName: string;
  password: string;
  timeoutMs?: number;
  /**
   * The message service path; default `/UAT2EAI/MessageService.svc` when the endpoint is a bare host, nothing
   * when the endpoint already holds a path (it is then the service URL itself).
   */
  servicePath?: string;
}

export const ISYNC_MAX_PAGE_SIZE = 500;
export const ISYNC_DEFAULT_SERVICE_PATH = '/UAT2EAI/MessageService.svc';

const DUPLICATE_PO = /already exists/i;
const REFUSED_LOGIN = /invalid (user ?name|login|email)|invalid username or password|not authori[sz]ed|authentication failed/i;

/** Every answer: `{Result:"Success",Data}` or `{Result:"Error",Message}`; Data is validated per operation. */
const Envelope = z.discriminatedUnion('Result', [
  z.object({ Result: z.literal('Success'), Data: z.unknown() }),
  z.object({ Result: z.literal('Error'), Message: z.string() }),
]);

const PingData = z.looseObject({ Company: z.string().optional() });
const ProductsData = z.object({
  Products: z.array(z.record(z.string(), z.unknown())),
  NextAfterSKU: z.string().min(1).nullable(),
});
const FindOrderData = z.object({
  Orders: z.array(z.looseObject({ OrderID: z.string().min(1), PONumber: z.string().optional() })),
});
const CreateOrderData = z.looseObject({ OrderID: z.string().min(1) });

interface ISyncContext {
  transport: Transport;
  servicePath: string;
  credentials: { UserName: string; Password: string };
}

function isyncContext(options: ISyncConnectorOptions): ISyncContext {
  const transport = createTransport('isync', {
    baseURL: options.endpoint,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    secrets: [options.password],
    login: `user "${options.userName}"`,
  });
  return {
    transport,
    servicePath: resourcePath(options.servicePath ?? defaultServicePath(options.endpoint)).replace(/\/+$/, ''),
    credentials: { UserName: options.userName, Password: options.password },
  };
}

/**
 * Without an explicit servicePath: an endpoint that is a bare host (`http://host:81`) gets the default service
 * path; an endpoint that already has a path (`http://host:81/UAT2EAI/MessageService.svc`) is the service itself.
 */
function defaultServicePath(endpoint: string): string {
  try {
    return new URL(endpoint).pathname.replace(/\/+$/, '') === '' ? ISYNC_DEFAULT_SERVICE_PATH : '';
  } catch {
    return ISYNC_DEFAULT_SERVICE_PATH;
  }
}

/** Sends one message and returns its Data; an Error envelope is thrown as a ConnectorError. */
async function send<D extends z.ZodType>(context: ISyncContext, operation: string, params: Record<string, unknown>, data: D): Promise<z.output<D>> {
  const answer = await requestJson(context.transport, {
    operation,
    method: 'POST',
    path: `${context.servicePath}/${operation}`,
    body: { ...context.credentials, ...params },
    schema: Envelope,
  });
  if (answer.Result === 'Success') {
    const parsed = data.safeParse(answer.Data);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new MalformedAnswerError(
        'isync',
        operation,
        formatPath(['Data', ...(first?.path ?? [])]),
        scrub(first?.message ?? 'invalid', context.transport.secrets),
      );
    }
    return parsed.data;
  }
  // An Error envelope inside a 2xx answer.
  if (REFUSED_LOGIN.test(answer.Message)) {
    throw new AuthenticationError(
      'isync',
      operation,
      `${SYSTEM_LABEL.isync} refused the login of ${context.transport.login ?? 'the connection'}: ${scrub(answer.Message, context.transport.secrets)}`,
      { status: 200 },
    );
  }
  throw classifyStatus('isync', operation, 200, answer, undefined, undefined, classifyOptions(context.transport));
}

export function createISyncProductReader(options: ISyncConnectorOptions): ProductReader {
  return isyncProductReader(isyncContext(options));
}

export function createISyncOrderWriter(options: ISyncConnectorOptions): OrderWriter<ISyncOrder> {
  return isyncOrderWriter(isyncContext(options));
}

export function createISyncConnector(options: ISyncConnectorOptions): SourceConnector<ISyncOrder> {
  const context = isyncContext(options);
  const ping = async (): Promise<void> => {
    await send(context, 'Ping', {}, PingData);
  };
  return combineSource('isync', isyncProductReader(context), isyncOrderWriter(context), ping);
}

function isyncProductReader(context: ISyncContext): ProductReader {
  return {
    async listProducts(cursor, pageSize) {
      const size = pageSizeWithin(pageSize, ISYNC_MAX_PAGE_SIZE);
      const data = await send(context, 'GetProducts', { AfterSKU: cursor, PageSize: size }, ProductsData);
      if (data.NextAfterSKU !== null && data.NextAfterSKU === cursor) {
        throw new MalformedAnswerError('isync', 'GetProducts', 'Data.NextAfterSKU', 'the cursor did not advance');
      }
      return { records: data.Products, nextCursor: data.NextAfterSKU };
    },
  };
}

function isyncOrderWriter(context: ISyncContext): OrderWriter<ISyncOrder> {
  async function findOrder(channelOrderCode: string): Promise<SourceOrderRef | null> {
    const data = await send(context, 'FindOrder', { PONumber: channelOrderCode }, FindOrderData);
    return documentOfOrder(
      'isync',
      channelOrderCode,
      data.Orders,
      (order) => order.PONumber,
      (order) => order.OrderID,
    );
  }

  async function createOrder(order: ISyncOrder): Promise<SourceOrderRef> {
    try {
      const data = await send(context, 'CreateOrder', { Order: order }, CreateOrderData);
      return { sourceOrderCode: data.OrderID };
    } catch (error) {
      if (error instanceof RejectedBySourceError && DUPLICATE_PO.test(error.sourceMessage)) {
        const existing = await findOrder(order.PONumber);
        if (existing) return existing;
      }
      throw error;
    }
  }

  return { findOrder, createOrder };
}
