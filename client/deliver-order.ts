/**
 * Delivers an order to its `raiseOrder` workflow, from the webhook, the poll or the CLI.
 *
 * Signal-with-start on `raise-order/<connectionId>/<channel_order_code>`: a first delivery starts the
 * workflow, any later one while it runs is a signal to the same run, never a second order. A delivery
 * carries no personal data: the channel and, when the caller read the order, its content hash; the
 * workflow reads the order itself from Stock2Shop. Only an operator's `order submit` carries the
 * order (encrypted by the payload codec like every payload).
 *
 * The id reuse policy ALLOW_DUPLICATE_FAILED_ONLY refuses a new run once an order was raised (its run
 * completed), for as long as the namespace retains that run; after retention, Stock2Shop showing the
 * source order code and the source lookup before every create keep it from being raised twice.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId, type Connection } from '../domain';
import { orderDeliveredSignal, type OrderDelivery } from '../workflows/definitions';
import type { RaiseOrderInput } from '../workflows/raiseOrder';
import { ChannelOrderCodeKey, ConnectionIdKey, SourceKindKey } from '../workflows/search-attributes';

export type DeliveryOutcome = 'delivered' | 'already_raised';

export async function deliverOrder(
  client: Client,
  connection: Pick<Connection, 'id' | 'sourceKind'>,
  channelOrderCode: string,
  delivery: OrderDelivery,
): Promise<DeliveryOutcome> {
  const workflowId = raiseOrderWorkflowId(connection.id, channelOrderCode);
  const input: RaiseOrderInput = { connectionId: connection.id, channelOrderCode };
  try {
    await client.workflow.signalWithStart('raiseOrder', {
      workflowId,
      taskQueue: CENTRAL_TASK_QUEUE,
      args: [input],
      signal: orderDeliveredSignal,
      signalArgs: [delivery],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: ConnectionIdKey, value: connection.id },
        { key: SourceKindKey, value: connection.sourceKind },
        { key: ChannelOrderCodeKey, value: channelOrderCode },
      ],
      staticSummary: `Order ${channelOrderCode} → ${connection.sourceKind} (${connection.id})`,
    });
    return 'delivered';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already_raised';
    throw error;
  }
}
