/**
 * Delivers one Stock2Shop order to its `raiseOrder` workflow, from the webhook, the poll or the CLI.
 *
 * Signal-with-start on `raise-order/<connectionId>/<channel_order_code>`: a first delivery starts the
 * workflow, any later one while it runs is a signal to the same run, never a second order. The id
 * reuse policy ALLOW_DUPLICATE_FAILED_ONLY refuses a new run once an order was raised (its run
 * completed), for as long as the namespace retains that run; after retention, the source lookup
 * before every create (and Stock2Shop no longer listing an order that has a source order code)
 * keep it from being raised twice. A run that failed may be started again (that is `retry` on a
 * closed order).
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId, type Connection } from '../domain';
import type { Stock2ShopOrder } from '../domain/stock2shop';
import { orderDeliveredSignal, type OrderDeliveryChannel } from '../workflows/definitions';
import { ChannelOrderCodeKey, ConnectionIdKey, SourceKindKey } from '../workflows/search-attributes';

export type DeliveryOutcome = 'delivered' | 'already_raised';

export async function deliverOrder(
  client: Client,
  connection: Pick<Connection, 'id' | 'sourceKind'>,
  order: Stock2ShopOrder,
  via: OrderDeliveryChannel,
): Promise<DeliveryOutcome> {
  const workflowId = raiseOrderWorkflowId(connection.id, order.channel_order_code);
  try {
    await client.workflow.signalWithStart('raiseOrder', {
      workflowId,
      taskQueue: CENTRAL_TASK_QUEUE,
      args: [{ connectionId: connection.id, order }],
      signal: orderDeliveredSignal,
      signalArgs: [{ via, order }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: ConnectionIdKey, value: connection.id },
        { key: SourceKindKey, value: connection.sourceKind },
        { key: ChannelOrderCodeKey, value: order.channel_order_code },
      ],
      staticSummary: `Order ${order.channel_order_code} → ${connection.sourceKind} (${connection.id})`,
    });
    return 'delivered';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already_raised';
    throw error;
  }
}
