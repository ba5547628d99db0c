/**
 * Reads an order from Stock2Shop, validates it and maps it to the source's document. Content that did
 * not come from Stock2Shop never reaches a source: every delivery only says which order to read.
 */
import { connectionTaskQueue, DomainValidationError, mapOrderForSource, orderContentHash, type Connection } from '../domain';
import { describeUnknownOrderFields, parseStock2ShopOrder, unknownOrderFields } from '../domain/stock2shop';
import { escapeOrderCode, isUnaddressableOrderCode, orderCodeProblem } from '../domain/order-code';
import type { Stock2ShopClient } from '../connectors';
import type { PrepareOrderInput, PreparedOrder } from '../contracts/activities';

export async function prepareOrderFor(connection: Connection, input: PrepareOrderInput, stock2shop: Stock2ShopClient): Promise<PreparedOrder> {
  const sourceId = connection.stock2shop.sourceId;
  const shown = escapeOrderCode(input.channelOrderCode);
  if (isUnaddressableOrderCode(input.channelOrderCode)) {
    const reason = `Order ${shown}: channel_order_code: ${orderCodeProblem(input.channelOrderCode)}`;
    return { outcome: 'invalid', contentHash: orderContentHash({ channel_order_code: input.channelOrderCode }), reason };
  }
  // Any other code is read (encoded in the path), so a refusal carries the content's hash like every bad order's.
  const raw = await stock2shop.getOrder(input.channelOrderCode, sourceId);
  if (raw === null || raw === undefined) {
    return { outcome: 'not_found', reason: `Stock2Shop holds no order ${shown} for source ${sourceId}` };
  }
  const contentHash = orderContentHash(raw);
  const raisedAs = sourceFieldIn(raw, sourceId, 'source_order_code');
  if (raisedAs !== undefined) return { outcome: 'already_raised', contentHash, sourceOrderCode: raisedAs };
  const cancelled = sourceFieldIn(raw, sourceId, 'cancelled_reason');
  if (cancelled !== undefined) {
    const reason = `cancelled in Stock2Shop for source ${sourceId} (${cancelled}); it is never raised`;
    // A caller that does not know the outcome (an older workflow) gets one that never raises.
    return input.acceptsCancelled ? { outcome: 'cancelled', contentHash, reason } : { outcome: 'invalid', contentHash, reason: `Order ${shown} is ${reason}` };
  }
  try {
    const order = parseStock2ShopOrder(raw);
    if (order.channel_order_code !== input.channelOrderCode) {
      throw new DomainValidationError({
        recordType: 'Order',
        record: shown,
        field: 'channel_order_code',
        reason: 'differs from the code the order was delivered under',
      });
    }
    const ready = {
      outcome: 'ready' as const,
      contentHash,
      document: mapOrderForSource(connection, order),
      sourceKind: connection.sourceKind,
      taskQueue: connectionTaskQueue(connection),
      orderRetryDays: connection.orderRetryDays,
      // Nothing is dropped silently: the fields the engine does not read, by name (values may be personal data).
      summary: orderSummary(order.line_items.length, raw),
    };
    return ready;
  } catch (error) {
    if (error instanceof DomainValidationError) return { outcome: 'invalid', contentHash, reason: error.message };
    throw error;
  }
}

/** The ready order's summary, shown with the activity's result: its lines, and the fields not used. */
function orderSummary(lines: number, raw: unknown): string {
  const unused = describeUnknownOrderFields(unknownOrderFields(raw));
  return `${lines} ${lines === 1 ? 'line' : 'lines'}; ${unused ?? 'every field used'}`;
}

/** A field Stock2Shop shows on this source's `sources[]` entry (its source order code, a cancel), read without trusting the shape. */
function sourceFieldIn(raw: unknown, sourceId: number, field: 'source_order_code' | 'cancelled_reason'): string | undefined {
  const sources = (raw as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return undefined;
  for (const source of sources as Record<string, unknown>[]) {
    if (String(source?.source_id) !== String(sourceId)) continue;
    const value = source[field];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}
