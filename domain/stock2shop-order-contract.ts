/**
 * The order side of Stock2Shop as this engine expects it: the paths and field names of the order list, the order
 * read and the write-backs. Stock2Shop publishes none of it (docs/stock2shop-contract.md), so a deployment states
 * what it agreed with Stock2Shop here; every name left out is today's (contracts/stock2shop-orders.openapi.yaml).
 */
import { z } from 'zod';

/** The placeholders a path may hold: the order's code (read and write-backs) and the source's id (any path). */
export const ORDER_CODE_PLACEHOLDER = '{channel_order_code}';
export const SOURCE_ID_PLACEHOLDER = '{source_id}';

const placeholders = (path: string) => path.match(/\{[^}]*\}/g) ?? [];

const PathTemplateSchema = z
  .string()
  .trim()
  .min(1)
  .regex(/^[^?#\s]+$/, { error: 'must be a path only: no query, fragment or whitespace' })
  .transform((path) => (path.startsWith('/') ? path : `/${path}`).replace(/(.)\/+$/, '$1'))
  .refine((path) => !path.split('/').some((segment) => segment === '.' || segment === '..'), { error: 'must not hold a . or .. segment' })
  .refine((path) => placeholders(path).every((p) => p === ORDER_CODE_PLACEHOLDER || p === SOURCE_ID_PLACEHOLDER), {
    error: `may hold only the placeholders ${ORDER_CODE_PLACEHOLDER} and ${SOURCE_ID_PLACEHOLDER}`,
  });

const ListPathSchema = PathTemplateSchema.refine((path) => !path.includes(ORDER_CODE_PLACEHOLDER), {
  error: `lists every order: it cannot hold ${ORDER_CODE_PLACEHOLDER}`,
});

const OrderPathSchema = PathTemplateSchema.refine((path) => path.split(ORDER_CODE_PLACEHOLDER).length === 2, {
  error: `must hold ${ORDER_CODE_PLACEHOLDER} once`,
});

/** A JSON key or query parameter name. */
const NameSchema = z
  .string()
  .trim()
  .regex(/^[^\s{}]{1,100}$/, { error: 'must be a name of 1 to 100 characters without whitespace or braces' });

export const Stock2ShopOrderContractSchema = z.strictObject({
  paths: z
    .strictObject({
      /** GET: the orders waiting to be raised into the source. */
      list: ListPathSchema.default('/orders'),
      /** GET: one order as Stock2Shop holds it for the source (404: none). */
      read: OrderPathSchema.default(`/orders/${ORDER_CODE_PLACEHOLDER}`),
      /** The write-back of the source order code (the queue item succeeded). */
      sourceOrderCode: OrderPathSchema.default(`/orders/${ORDER_CODE_PLACEHOLDER}/source_order_code`),
      /** The failure: the queue item's error, which a person retries or skips in the console. */
      failure: OrderPathSchema.default(`/orders/${ORDER_CODE_PLACEHOLDER}/failure`),
      /** The engine will not raise the order in this source (a person cancelled it here): the queue item is skipped. */
      cancelled: OrderPathSchema.default(`/orders/${ORDER_CODE_PLACEHOLDER}/cancelled`),
    })
    .prefault({}),
  /** The method of the three write-backs. */
  writeBackMethod: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  query: z
    .strictObject({
      /** The list's and the read's source filter; null sends none (a path that holds {source_id}). */
      sourceId: NameSchema.nullable().default('source_id'),
      /** The list's instruction filter; null sends none. */
      instruction: NameSchema.nullable().default('instruction'),
    })
    .prefault({}),
  /** The value of the list's instruction filter: the queue item that raises an order in a source. */
  instruction: NameSchema.default('add_order'),
  fields: z
    .strictObject({
      /** The list's answer: `{"<orders>": [order, …]}`. */
      orders: NameSchema.default('orders'),
      /** The read's answer: `{"<order>": order}`. */
      order: NameSchema.default('order'),
      /** A listed order's code. */
      channelOrderCode: NameSchema.default('channel_order_code'),
      /** The source's id in a write-back's body; null sends none (a path that holds {source_id}). */
      sourceId: NameSchema.nullable().default('source_id'),
      /** The source order code in its write-back's body. */
      sourceOrderCode: NameSchema.default('source_order_code'),
      /** The reason in a failure's body. */
      reason: NameSchema.default('reason'),
      /** The reason in a cancel's body. */
      cancelReason: NameSchema.default('reason'),
    })
    .prefault({}),
});
export type Stock2ShopOrderContract = z.infer<typeof Stock2ShopOrderContractSchema>;
export type Stock2ShopOrderContractInput = z.input<typeof Stock2ShopOrderContractSchema>;
