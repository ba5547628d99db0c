import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeliverWaitingOrdersResult } from '../contracts/activities';
import { CENTRAL_TASK_QUEUE } from '../domain/task-queues';

const { deliverWaitingOrders } = proxyActivities<Activities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', maximumAttempts: 5 },
});

/**
 * The safety net for missed webhooks, started by the schedule `order-poll/<connectionId>`: every
 * order Stock2Shop still holds with the `add_order` instruction is delivered to its `raiseOrder`
 * workflow with signal-with-start, so an order already in progress only counts one more delivery.
 */
export async function pollOrders(input: { connectionId: string }): Promise<DeliverWaitingOrdersResult> {
  return deliverWaitingOrders(input.connectionId);
}
