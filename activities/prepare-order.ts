/**
 * Reads an order from Stock2Shop (or takes the one an operator submitted), validates it and maps it
 * to the source's document. Content that did not come from Stock2Shop or an operator never reaches a
 * source: the webhook only says which order to read.
 */
import { connectionTaskQueue, DomainValidationError, mapOrderForSource, orderContentHash, type Connection } from '../domain';
import { parseStock2ShopOrder } from '../domain/stock2shop';
import type { Stock2ShopClient } from '../connectors';
import type { PrepareOrderInput, PreparedOrder } from './contracts';

export async function prepareOrderFor(connection: Connection, input: PrepareOrderInput, stock2shop: Stock2ShopClient): Promise<PreparedOrder> {
  const sourceId = connection.stock2shop.sourceId;
  const raw = input.submittedOrder ?? (await stock2shop.getOrder(input.channelOrderCode, sourceId));
  if (raw === null || raw === undefined) {
    return { outcome: 'not_found', reason: `Stock2Shop holds no order ${input.channelOrderCode} for source ${sourceId}` };
  }
  const contentHash = orderContentHash(raw);
  const raisedAs = sourceOrderCodeIn(raw, sourceId);
  if (raisedAs !== undefined) return { outcome: 'already_raised', contentHash, sourceOrderCode: raisedAs };
  try {
    const order = parseStock2ShopOrder(raw);
    if (order.channel_order_code !== input.channelOrderCode) {
      throw new DomainValidationError({
        recordType: 'Order',
        record: input.channelOrderCode,
        field: 'channel_order_code',
        reason: 'differs from the code the order was delivered under',
      });
    }
    return {
      outcome: 'ready',
      contentHash,
      document: mapOrderForSource(connection, order),
      sourceKind: connection.sourceKind,
      taskQueue: connectionTaskQueue(connection),
      orderRetryDays: connection.orderRetryDays,
    };
  } catch (error) {
    if (error instanceof DomainValidationError) return { outcome: 'invalid', contentHash, reason: error.message };
    throw error;
  }
}

/** The source order code Stock2Shop shows against this source, read without trusting the shape. */
function sourceOrderCodeIn(raw: unknown, sourceId: number): string | undefined {
  const sources = (raw as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return undefined;
  for (const source of sources as { source_id?: unknown; source_order_code?: unknown }[]) {
    if (String(source?.source_id) !== String(sourceId)) continue;
    const code = source.source_order_code;
    if (typeof code === 'string' && code.trim() !== '') return code.trim();
  }
  return undefined;
}
