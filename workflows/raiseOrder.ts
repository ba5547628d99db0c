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
import type { PreparedOrder } from '../activities/contracts';
import { CENTRAL_TASK_QUEUE } from '../domain/connection';
import { orderDeliveredSignal, retrySignal, statusQuery, type OrderStatus } from './definitions';
import { describeFailure, isNeedsAttention } from './failures';
import { ChannelOrderCodeKey, ConnectionIdKey, SourceKindKey } from './search-attributes';

/** Codes only: the order itself is read from Stock2Shop by `prepareOrder`. */
export interface RaiseOrderInput {
  connectionId: string;
  channelOrderCode: string;
}

/** How long an order that needs a person waits for a `retry` before its workflow closes as failed. */
export const WAIT_FOR_FIX_MS = 30 * 24 * 60 * 60 * 1000;

const { prepareOrder, writeBackSourceOrderCode, writeBackOrderFailure } = proxyActivities<Activities>({
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

function sourceActivities(prepared: Extract<PreparedOrder, { outcome: 'ready' }>) {
  return proxyActivities<Activities>({
    taskQueue: prepared.taskQueue,
    // An attempt may wait (heartbeating) for a source that is down; the heartbeat notices a dead worker.
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '20 seconds',
    // The retry window includes the time the task waits for an agent that is switched off.
    scheduleToCloseTimeout: `${prepared.orderRetryDays} days`,
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '10 minutes',
      nonRetryableErrorTypes: ['AuthenticationError', 'RejectedBySourceError', 'MalformedAnswerError', 'MissingCredentialsError'],
    },
  });
}

type AttemptOutcome = { state: 'raised' } | { state: 'needs_attention' | 'failed'; reason: string };

/** One order, raised in the connection's source exactly once, however often it is delivered. */
export async function raiseOrder(input: RaiseOrderInput): Promise<OrderStatus> {
  const { connectionId, channelOrderCode } = input;
  const status: OrderStatus = {
    connectionId,
    channelOrderCode,
    state: 'received',
    attempts: 0,
    deliveries: { webhook: 0, poll: 0, cli: 0 },
  };
  let submittedOrder: unknown;
  /** The content the last attempt saw: a delivery of the same content does not start another. */
  let attemptedHash: string | undefined;
  let retryRequested = false;
  let recheckRequested = false;
  const waitingForFix = () => status.state === 'needs_attention' || status.state === 'failed';

  setHandler(statusQuery, () => status);
  setHandler(orderDeliveredSignal, ({ via, contentHash, submittedOrder: submitted }) => {
    status.deliveries[via] += 1;
    if (submitted !== undefined) submittedOrder = submitted;
    if (waitingForFix() && (contentHash === undefined || contentHash !== attemptedHash)) recheckRequested = true;
  });
  setHandler(retrySignal, () => {
    if (waitingForFix()) retryRequested = true;
  });
  upsertSearchAttributes([
    { key: ConnectionIdKey, value: connectionId },
    { key: ChannelOrderCodeKey, value: channelOrderCode },
  ]);

  const prepare = async (): Promise<PreparedOrder> => {
    const prepared = await prepareOrder({ connectionId, channelOrderCode, ...(submittedOrder === undefined ? {} : { submittedOrder }) });
    if (prepared.outcome !== 'not_found') attemptedHash = prepared.contentHash;
    return prepared;
  };

  /** One attempt: raised, or why not (a cause for a person, or the retry window ran out). */
  const attempt = async (preparedBefore: PreparedOrder | undefined): Promise<AttemptOutcome> => {
    try {
      const prepared = preparedBefore ?? (await prepare());
      if (prepared.outcome === 'not_found' || prepared.outcome === 'invalid') return { state: 'needs_attention', reason: prepared.reason };
      if (prepared.outcome === 'already_raised') {
        status.sourceOrderCode = prepared.sourceOrderCode;
        status.alreadyExisted = true;
      } else {
        upsertSearchAttributes([{ key: SourceKindKey, value: prepared.sourceKind }]);
        const raised = await sourceActivities(prepared).raiseInSource({ connectionId, channelOrderCode, document: prepared.document });
        status.sourceOrderCode = raised.sourceOrderCode;
        status.alreadyExisted = raised.alreadyExisted;
        status.state = 'writing_back';
        await writeBackSourceOrderCode({ connectionId, channelOrderCode, sourceOrderCode: raised.sourceOrderCode });
      }
      return { state: 'raised' };
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      return { state: isNeedsAttention(error) ? 'needs_attention' : 'failed', reason: describeFailure(error) };
    }
  };

  let reread: PreparedOrder | undefined;
  for (;;) {
    // Cleared when an attempt starts, not when the wait starts: a retry sent while the failure is
    // still being written back is kept.
    retryRequested = false;
    recheckRequested = false;
    status.attempts += 1;
    status.state = 'raising';
    setCurrentDetails(`Raising order ${channelOrderCode} (attempt ${status.attempts})`);
    const outcome = await attempt(reread);
    status.state = outcome.state;
    if (outcome.state === 'raised') {
      status.reason = undefined;
      setCurrentDetails(`Raised as ${status.sourceOrderCode}${status.alreadyExisted ? ' (found already raised)' : ''}`);
      return status;
    }
    const { reason } = outcome;
    status.reason = reason;
    setCurrentDetails(`${outcome.state === 'failed' ? 'Failed' : 'Needs attention'}: ${reason}. Send 'retry' after the fix.`);
    await writeBackOrderFailure({ connectionId, channelOrderCode, reason }).catch((writeBackError: Error) =>
      // The order's own state stays visible here and in the Web UI even when Stock2Shop cannot be told.
      log.warn('Could not write the failure reason back to Stock2Shop', { channelOrderCode, error: writeBackError.message }),
    );
    reread = await waitForFixOrCorrection();
  }

  /**
   * Waits for a `retry`, or for a delivery of changed content (a corrected order), for up to 30 days.
   * Returns the re-read order when a delivery brought a change, undefined on a retry.
   */
  async function waitForFixOrCorrection(): Promise<PreparedOrder | undefined> {
    const deadline = Date.now() + WAIT_FOR_FIX_MS;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || !(await condition(() => retryRequested || recheckRequested, remaining))) {
        throw ApplicationFailure.create({
          type: 'OrderNotRaised',
          message: `Order ${channelOrderCode} was not raised: ${status.reason}`,
          nonRetryable: true,
          details: [status],
        });
      }
      if (retryRequested) return undefined;
      recheckRequested = false;
      const previousHash = attemptedHash;
      const reread = await prepare();
      if (reread.outcome === 'not_found' || reread.contentHash !== previousHash) return reread;
    }
  }
}
