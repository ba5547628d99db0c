/**
 * The activities an order calls, with their options: the Stock2Shop calls (the read, the write-backs)
 * on the central queue, as local activities first, and the raise on the source's queue.
 */
import { isCancellation, type LocalActivityOptions, log, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NEEDS_ATTENTION_ERROR_TYPES, STOCK2SHOP_SLOW_ERROR_TYPE, type PreparedOrder } from '../contracts/activities';
import { CENTRAL_TASK_QUEUE } from '../domain/task-queues';
import { causeMessage, isNeedsAttention } from './failures';

const PREPARE_ORDER_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '7 days',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES],
  },
};
/** Once the source holds the order, Stock2Shop is told however long it takes: no window, no give-up. */
const WRITE_BACK_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 hour' },
};

/**
 * Activity tasks on every path. The failure write-back stays one: a local activity holds its workflow
 * task open, and an Update is answered only between workflow tasks, so an operator's `order retry`
 * sent while a slow Stock2Shop takes the failure would wait for it instead of being answered at once.
 */
export const central = proxyActivities<Activities>({ taskQueue: CENTRAL_TASK_QUEUE, ...PREPARE_ORDER_OPTIONS });
/** Once a person cancelled the order, Stock2Shop is told however long it takes. */
export const { writeBackOrderCancelled, reportRaisedOrderNotice } = proxyActivities<Activities>({ taskQueue: CENTRAL_TASK_QUEUE, ...WRITE_BACK_OPTIONS });

export type OrderSteps = Pick<Activities, 'prepareOrder' | 'writeBackSourceOrderCode'>;
/** Before the patch 'order-local-activities': the read and the write-back as activity tasks on `central`. */
export const queued: OrderSteps = {
  prepareOrder: central.prepareOrder,
  writeBackSourceOrderCode: proxyActivities<Activities>({ taskQueue: CENTRAL_TASK_QUEUE, ...WRITE_BACK_OPTIONS }).writeBackSourceOrderCode,
};

/**
 * A local activity's tries: a few seconds at most, because a local activity holds its workflow task,
 * and a slot of the worker's few workflow-task slots, for all its tries: a slow Stock2Shop would stall
 * every workflow of every client on the worker. A Stock2Shop that is slow or down hands the call over
 * at once (`Stock2ShopSlowError`, from the activity) or after these tries, to the activity task, whose
 * retries hold no slot and stay out of the order's history.
 */
const LOCAL_WINDOW = { startToCloseTimeout: '1 second', scheduleToCloseTimeout: '3 seconds' } as const;
/** Two tries, 200 ms apart (a fast failure tried once more): the attempts bound the window (the SDK's local retries kept going past scheduleToClose). */
const LOCAL_RETRY = { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '1 second', maximumAttempts: 2 } as const;
const localRead = proxyLocalActivities<Activities>({
  ...LOCAL_WINDOW,
  retry: { ...LOCAL_RETRY, nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES, STOCK2SHOP_SLOW_ERROR_TYPE] },
});
/** Every failure of the write-back goes on, as its activity task's does: the order is raised. */
const localWriteBack = proxyLocalActivities<Activities>({ ...LOCAL_WINDOW, retry: { ...LOCAL_RETRY, nonRetryableErrorTypes: [STOCK2SHOP_SLOW_ERROR_TYPE] } });

/** The local try; after any failure but a final one, the same call as an activity task. */
async function locallyThenQueued<T>(localCall: () => Promise<T>, queuedCall: () => Promise<T>, isFinal: (error: Error) => boolean): Promise<T> {
  try {
    return await localCall();
  } catch (error) {
    if (isCancellation(error) || !(error instanceof Error) || isFinal(error)) throw error;
    log.warn('A Stock2Shop call did not succeed locally; it goes on as an activity task', { error: causeMessage(error) });
    return await queuedCall();
  }
}

/**
 * Behind the patch 'order-local-activities': as local activities, run by the central worker inside the
 * order's workflow task. Both are short Stock2Shop calls, safe to repeat, and need no other worker;
 * each saves the server an activity task and a workflow task (docs/benchmarks.md). The raise itself
 * stays an activity task on the source's queue: it heartbeats, and only the source's worker can reach the source.
 */
export const local: OrderSteps = {
  // A failure a person must fix ends the read at once, as it ends the activity task's.
  prepareOrder: (input) =>
    locallyThenQueued(
      () => localRead.prepareOrder(input),
      () => queued.prepareOrder(input),
      isNeedsAttention,
    ),
  // Nothing ends the write-back of a raised order: whatever the local tries met, the activity task goes on.
  writeBackSourceOrderCode: (input) =>
    locallyThenQueued(
      () => localWriteBack.writeBackSourceOrderCode(input),
      () => queued.writeBackSourceOrderCode(input),
      () => false,
    ),
};

export type ReadyOrder = Extract<PreparedOrder, { outcome: 'ready' }>;
