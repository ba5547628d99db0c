import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NEEDS_ATTENTION_ERROR_TYPES, type LateDeliveryInput, type LateDeliveryReview } from '../contracts/activities';
import { CENTRAL_TASK_QUEUE } from '../domain/task-queues';

const { reviewClosedOrder } = proxyActivities<Activities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes', nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES] },
});

/**
 * An order delivered after its `raiseOrder` run closed: a change announced after the raise is
 * reported (never applied, never dropped), and a run terminated in Temporal ends as cancelled in
 * Stock2Shop. Started by the delivery itself (temporal/deliver-order.ts), one at a time per order.
 */
export async function reviewLateDelivery(input: LateDeliveryInput): Promise<LateDeliveryReview> {
  return reviewClosedOrder(input);
}
