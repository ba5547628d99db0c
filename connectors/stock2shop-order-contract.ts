/**
 * Stock2Shop's order side as the deployment's order contract names it (domain/stock2shop-order-contract.ts): the
 * list of orders to raise, the read of one, and the write-backs. Stock2Shop publishes none of these calls, so no
 * path or field name is fixed here; docs/stock2shop-contract.md is the proposal they follow by default.
 */
import { z } from 'zod';
import {
  ORDER_CODE_PLACEHOLDER,
  SOURCE_ID_PLACEHOLDER,
  Stock2ShopOrderContractSchema,
  type Stock2ShopOrderContract,
  type Stock2ShopOrderContractInput,
} from '../domain/stock2shop-order-contract';
import { RejectedBySourceError } from './errors';
import { requestJson, resourcePath, type QueryParams, type Transport } from './http';

export type { Stock2ShopOrderContract, Stock2ShopOrderContractInput } from '../domain/stock2shop-order-contract';

/** Stock2Shop's source id: a number (a numeric string is sent as given). */
export type Stock2ShopSourceId = number | string;

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
  /** Listed entries without a usable code: nothing can be raised or written back for them. */
  withoutCode: number;
}

export interface Stock2ShopOrderCalls {
  /** Orders with the contract's instruction (`add_order`) for this source. */
  listOrdersToRaise(sourceId: Stock2ShopSourceId): Promise<OrdersToRaise>;
  /** One order as Stock2Shop holds it for this source (unvalidated), or null when it holds none. */
  getOrder(channelOrderCode: string, sourceId: Stock2ShopSourceId): Promise<unknown>;
  writeSourceOrderCode(channelOrderCode: string, sourceId: Stock2ShopSourceId, sourceOrderCode: string): Promise<void>;
  writeOrderFailure(channelOrderCode: string, sourceId: Stock2ShopSourceId, reason: string): Promise<void>;
  /** The order will not be raised in this source (a person cancelled it): Stock2Shop stops offering it. */
  writeOrderCancelled(channelOrderCode: string, sourceId: Stock2ShopSourceId, reason: string): Promise<void>;
}

/**
 * The contract in force: the one given (validated; throws a ZodError naming the field), every name it leaves out
 * today's. `ordersBase` (the client's older `paths.orders`) roots the paths the contract does not name.
 */
export function resolveOrderContract(input: Stock2ShopOrderContractInput = {}, ordersBase?: string): Stock2ShopOrderContract {
  if (ordersBase === undefined) return Stock2ShopOrderContractSchema.parse(input);
  const base = ordersBase.replace(/\/+$/, '');
  const code = ORDER_CODE_PLACEHOLDER;
  const paths = {
    list: base,
    read: `${base}/${code}`,
    sourceOrderCode: `${base}/${code}/source_order_code`,
    failure: `${base}/${code}/failure`,
    cancelled: `${base}/${code}/cancelled`,
    ...input.paths,
  };
  return Stock2ShopOrderContractSchema.parse({ ...input, paths });
}

/** A code as (part of) one path segment; `.` and `..` cannot be one (a URL resolves them to another path). */
export function orderSegment(code: string): string {
  if (code === '.' || code === '..') throw new RangeError(`the order code '${code}' cannot be addressed in a URL path`);
  return encodeURIComponent(code);
}

/** A path of the contract with its placeholders filled, each value encoded as a segment. */
function fillPath(template: string, sourceId: Stock2ShopSourceId, code?: string): string {
  const filled = template.split(SOURCE_ID_PLACEHOLDER).join(encodeURIComponent(String(sourceId)));
  return resourcePath(code === undefined ? filled : filled.split(ORDER_CODE_PLACEHOLDER).join(orderSegment(code)));
}

function rawOrderCode(raw: unknown, key: string): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const code = (raw as Record<string, unknown>)[key];
  if (typeof code === 'string' && code.trim() !== '') return code.trim();
  if (typeof code === 'number') return String(code);
  return undefined;
}

/** Write-backs answer 2xx with a body the engine does not rely on. */
const AnyAnswer = z.unknown();

export function createOrderCalls(transport: Transport, contract: Stock2ShopOrderContract): Stock2ShopOrderCalls {
  const { paths, query, fields } = contract;
  const ListAnswer = z.looseObject({ [fields.orders]: z.array(z.unknown()) });
  const ReadAnswer = z.looseObject({ [fields.order]: z.looseObject({}) });
  const sourceParams = (sourceId: Stock2ShopSourceId): QueryParams => (query.sourceId === null ? {} : { [query.sourceId]: sourceId });

  const writeBack = async (operation: string, template: string, code: string, sourceId: Stock2ShopSourceId, field: string, value: string) => {
    await requestJson(transport, {
      operation,
      method: contract.writeBackMethod,
      path: fillPath(template, sourceId, code),
      body: { ...(fields.sourceId === null ? {} : { [fields.sourceId]: sourceId }), [field]: value },
      schema: AnyAnswer,
    });
  };

  return {
    async listOrdersToRaise(sourceId) {
      const answer = await requestJson(transport, {
        operation: 'listOrdersToRaise',
        method: 'GET',
        path: fillPath(paths.list, sourceId),
        params: { ...sourceParams(sourceId), ...(query.instruction === null ? {} : { [query.instruction]: contract.instruction }) },
        schema: ListAnswer,
      });
      const result: OrdersToRaise = { orders: [], withoutCode: 0 };
      for (const raw of answer[fields.orders] as unknown[]) {
        const code = rawOrderCode(raw, fields.channelOrderCode);
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
          path: fillPath(paths.read, sourceId, channelOrderCode),
          params: sourceParams(sourceId),
          schema: ReadAnswer,
        });
        return answer[fields.order];
      } catch (error) {
        if (error instanceof RejectedBySourceError && error.status === 404) return null;
        throw error;
      }
    },

    writeSourceOrderCode: (code, sourceId, sourceOrderCode) =>
      writeBack('writeSourceOrderCode', paths.sourceOrderCode, code, sourceId, fields.sourceOrderCode, sourceOrderCode),
    writeOrderFailure: (code, sourceId, reason) => writeBack('writeOrderFailure', paths.failure, code, sourceId, fields.reason, reason),
    writeOrderCancelled: (code, sourceId, reason) => writeBack('writeOrderCancelled', paths.cancelled, code, sourceId, fields.cancelReason, reason),
  };
}
