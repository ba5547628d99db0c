import {
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ConnectionProfile } from '../activities/contracts';
import { CENTRAL_TASK_QUEUE } from '../domain/connection';
import type { Stock2ShopOrder } from '../domain/stock2shop';
import { mapOrderForSource } from '../domain/sources';
import { orderDeliveredSignal, retrySignal, statusQuery, type OrderStatus } from './definitions';
import { describeFailure, isNeedsAttention } from './failures';
import { ChannelOrderCodeKey, ConnectionIdKey, SourceKindKey } from './search-attributes';

export interface RaiseOrderInput {
  connectionId: string;
  order: Stock2ShopOrder;
}

/** How long an order that needs a person waits for a `retry` before its workflow closes as failed. */
export const WAIT_FOR_FIX = '30 days';

const { describeConnection, writeBackSourceOrderCode, writeBackOrderFailure } = proxyActivities<Activities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '7 days',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: ['UnknownConnectionError', 'AuthenticationError', 'RejectedBySourceError', 'MalformedAnswerError'],
  },
});

function sourceActivities(profile: ConnectionProfile) {
  return proxyActivities<Activities>({
    taskQueue: profile.taskQueue,
    // An attempt may wait (heartbeating) for a source that is down; the heartbeat notices a dead worker.
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '20 seconds',
    // The retry window includes the time the task waits for an agent that is switched off.
    scheduleToCloseTimeout: `${profile.orderRetryDays} days`,
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '10 minutes',
      nonRetryableErrorTypes: ['AuthenticationError', 'RejectedBySourceError', 'MalformedAnswerError', 'MissingCredentialsError'],
    },
  });
}

/** One order, raised in the connection's source exactly once, however often it is delivered. */
export async function raiseOrder(input: RaiseOrderInput): Promise<OrderStatus> {
  const { connectionId } = input;
  let order = input.order;
  const channelOrderCode = order.channel_order_code;
  const status: OrderStatus = {
    connectionId,
    channelOrderCode,
    state: 'received',
    attempts: 0,
    deliveries: { webhook: 0, poll: 0, cli: 0 },
  };
  let retryRequested = false;

  setHandler(statusQuery, () => status);
  setHandler(orderDeliveredSignal, ({ via, order: delivered }) => {
    status.deliveries[via] += 1;
    // A later delivery may carry a corrected order; it is used on the next attempt, never mid-attempt.
    if (delivered && status.state === 'needs_attention') order = delivered;
  });
  setHandler(retrySignal, () => {
    if (status.state === 'needs_attention' || status.state === 'failed') retryRequested = true;
  });
  upsertSearchAttributes([
    { key: ConnectionIdKey, value: connectionId },
    { key: ChannelOrderCodeKey, value: channelOrderCode },
  ]);

  for (;;) {
    status.attempts += 1;
    status.state = 'raising';
    setCurrentDetails(`Raising order ${channelOrderCode} (attempt ${status.attempts})`);
    try {
      // Read on every attempt: a fix to the connection's settings or credentials applies to the retry.
      const profile = await describeConnection(connectionId);
      upsertSearchAttributes([{ key: SourceKindKey, value: profile.sourceKind }]);
      const document = mapOrderForSource(profile, order);
      const raised = await sourceActivities(profile).raiseInSource({ connectionId, channelOrderCode, document });
      status.sourceOrderCode = raised.sourceOrderCode;
      status.alreadyExisted = raised.alreadyExisted;
      status.state = 'writing_back';
      await writeBackSourceOrderCode({ connectionId, channelOrderCode, sourceOrderCode: raised.sourceOrderCode });
      status.state = 'raised';
      status.reason = undefined;
      setCurrentDetails(`Raised as ${raised.sourceOrderCode}${raised.alreadyExisted ? ' (found already in the source)' : ''}`);
      return status;
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      status.state = isNeedsAttention(error) ? 'needs_attention' : 'failed';
      status.reason = describeFailure(error);
    }
    setCurrentDetails(`${status.state === 'failed' ? 'Failed' : 'Needs attention'}: ${status.reason}. Send 'retry' after the fix.`);
    await writeBackOrderFailure({ connectionId, channelOrderCode, reason: status.reason }).catch((writeBackError: Error) =>
      // The order's own state stays visible here and in the Web UI even when Stock2Shop cannot be told.
      log.warn('Could not write the failure reason back to Stock2Shop', { channelOrderCode, error: writeBackError.message }),
    );
    retryRequested = false;
    if (!(await condition(() => retryRequested, WAIT_FOR_FIX))) {
      throw ApplicationFailure.create({
        type: 'OrderNotRaised',
        message: `Order ${channelOrderCode} was not raised: ${status.reason}`,
        nonRetryable: true,
        details: [status],
      });
    }
  }
}
