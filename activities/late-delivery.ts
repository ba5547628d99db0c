/**
 * An order delivered after its `raiseOrder` run closed (temporal/deliver-order.ts starts its review):
 *  - raised, and Stock2Shop now holds other content: the change is reported, never applied;
 *  - its run terminated in Temporal (the Web UI's Terminate): it ends as cancelled, and Stock2Shop is
 *    told, so neither the poll nor the webhook raises it again.
 */
import type { Client } from '@temporalio/client';
import { orderContentHash, raiseOrderWorkflowId, type Connection } from '../domain';
import type { Stock2ShopClient } from '../connectors';
import { SYSTEM_LABEL } from '../connectors/errors';
import type { OrderStatus } from '../contracts/workflows';
import type { LateDeliveryInput, LateDeliveryReview, RaisedOrderNotice } from '../contracts/activities';

export interface LateDeliveryDeps {
  client: Client;
  connection: Connection;
  stock2shop: Stock2ShopClient;
  reportNotice(notice: RaisedOrderNotice): Promise<void>;
  /** The order needs nobody any more (its problem closes, its alert episode ends). */
  needsNobody(how: string): Promise<void>;
}

/** What Stock2Shop shows on this source's entry of the order (a source order code, a cancel). */
function shownForSource(raw: unknown, sourceId: number, field: string): unknown {
  const sources = (raw as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return undefined;
  return (sources as Record<string, unknown>[]).find((source) => String(source?.source_id) === String(sourceId))?.[field];
}

export async function reviewClosedOrder(input: LateDeliveryInput, deps: LateDeliveryDeps): Promise<LateDeliveryReview> {
  const { connection, stock2shop } = deps;
  const sourceId = connection.stock2shop.sourceId;
  const handle = deps.client.workflow.getHandle(raiseOrderWorkflowId(connection.id, input.channelOrderCode));
  const { status } = await handle.describe();
  const raw = await stock2shop.getOrder(input.channelOrderCode, sourceId);
  if (status.name === 'TERMINATED') {
    if (raw === null || shownForSource(raw, sourceId, 'source_order_code') || shownForSource(raw, sourceId, 'cancelled_reason'))
      return { outcome: 'nothing_new' };
    const terminated = (await handle.fetchHistory()).events?.at(-1)?.workflowExecutionTerminatedEventAttributes;
    const why = [terminated?.reason, terminated?.identity ? `by ${terminated.identity}` : undefined].filter(Boolean).join(', ');
    const notice = `cancelled: its workflow was terminated in Temporal${why ? ` (${why})` : ''}; it is never raised`;
    await deps.needsNobody(notice);
    await stock2shop.writeOrderCancelled(input.channelOrderCode, sourceId, notice);
    return { outcome: 'cancel_written_back', notice };
  }
  if (status.name !== 'COMPLETED' || raw === null) return { outcome: 'nothing_new' };
  const result = (await handle.result()) as OrderStatus;
  // An order raised before the raised content was kept cannot be compared: nothing is claimed of it.
  if (result.state !== 'raised' || !result.sourceOrderCode || !result.raisedContentHash) return { outcome: 'nothing_new' };
  if (orderContentHash(raw) === result.raisedContentHash) return { outcome: 'nothing_new' };
  const notice = `changed after it was raised as ${result.sourceOrderCode}; not applied: change ${result.sourceOrderCode} in ${SYSTEM_LABEL[connection.sourceKind]} by hand`;
  await deps.reportNotice({ connectionId: connection.id, channelOrderCode: input.channelOrderCode, sourceOrderCode: result.sourceOrderCode, notice });
  return { outcome: 'change_reported', notice };
}
