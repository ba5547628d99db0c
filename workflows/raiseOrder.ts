import {
  ApplicationFailure,
  condition,
  isCancellation,
  type LocalActivityOptions,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
// Under its own name: the next change's `patched` (docs/versioning.md's worked example, built by
// test/helpers/variant-bundle.ts) goes into the import list above.
import { patched as isPatched } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NEEDS_ATTENTION_ERROR_TYPES, type PreparedOrder } from '../activities/contracts';
import { CENTRAL_TASK_QUEUE } from '../domain/task-queues';
import { orderDeliveredSignal, retryUpdate, sourceAvailableSignal, statusQuery, type OrderState, type OrderStatus } from './definitions';
import { activityFailureType, causeMessage, describeFailure, isNeedsAttention, isSourceUnreachable, raiseEvidenceOf, whatEndedIt } from './failures';
import { ChannelOrderCodeKey, ConnectionIdKey, OrderStateKey, SourceKindKey } from './search-attributes';

/** Codes only: the order itself is read from Stock2Shop by `prepareOrder`. */
export interface RaiseOrderInput {
  connectionId: string;
  channelOrderCode: string;
}

/** How long an order that needs a person waits for a `retry` before its workflow closes as failed. */
export const WAIT_FOR_FIX_MS = 30 * 24 * 60 * 60 * 1000;
/** While its source is down, an order tries again at least this often, even if no probe wakes it. */
const SOURCE_WAIT_FALLBACK_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

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
const central = proxyActivities<Activities>({ taskQueue: CENTRAL_TASK_QUEUE, ...PREPARE_ORDER_OPTIONS });
const { writeBackOrderFailure, registerSourceWaiter } = central;
type OrderSteps = Pick<Activities, 'prepareOrder' | 'writeBackSourceOrderCode'>;
/** Before the patch 'order-local-activities': the read and the write-back as activity tasks on `central`. */
const queued: OrderSteps = {
  prepareOrder: central.prepareOrder,
  writeBackSourceOrderCode: proxyActivities<Activities>({ taskQueue: CENTRAL_TASK_QUEUE, ...WRITE_BACK_OPTIONS }).writeBackSourceOrderCode,
};
/**
 * A local activity's tries: short. Retries after a backoff of over a minute would each add a marker, a
 * timer and a workflow task to the order's history, and a hanging call a workflow task heartbeat every
 * few seconds; so a Stock2Shop that is down for longer than this hands the call to the activity task,
 * whose retries the server keeps out of the history, for the long window above.
 */
const LOCAL_WINDOW = { startToCloseTimeout: '10 seconds', scheduleToCloseTimeout: '30 seconds' } as const;
/** Four tries, 7 s of backoff: the attempts bound the window (the SDK's local retries kept going past scheduleToClose). */
const LOCAL_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '4 seconds', maximumAttempts: 4 } as const;
const localRead = proxyLocalActivities<Activities>({ ...LOCAL_WINDOW, retry: { ...LOCAL_RETRY, nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES] } });
/** Every failure of the write-back is retried, as its activity task's is: the order is raised. */
const localWriteBack = proxyLocalActivities<Activities>({ ...LOCAL_WINDOW, retry: LOCAL_RETRY });

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
 * Behind it: as local activities, run by the central worker inside the order's workflow task. Both are
 * short Stock2Shop calls, safe to repeat, and need no other worker; each saves the server an activity
 * task and a workflow task (docs/benchmarks.md). The raise itself stays an activity task on the
 * source's queue: it heartbeats, and only the source's worker can reach the source.
 */
const local: OrderSteps = {
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

function sourceActivities(prepared: Extract<PreparedOrder, { outcome: 'ready' }>) {
  return proxyActivities<Activities>({
    taskQueue: prepared.taskQueue,
    // An attempt may wait (heartbeating) for a source that is down; the heartbeat notices a dead worker,
    // with room for an office internet line's hiccups.
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '60 seconds',
    // The retry window includes the time the task waits for an agent that is switched off.
    scheduleToCloseTimeout: `${prepared.orderRetryDays} days`,
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '10 minutes',
      nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES],
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
  let sourceAvailable = false;
  const waitingForFix = () => status.state === 'needs_attention' || status.state === 'failed';

  /**
   * A create that may have reached the source, remembered from the raise's failures until a find proves
   * the order absent: from then on no path says "not raised" (the order may be there).
   */
  let createSentAt: number | undefined;
  let sourceLabel = 'the source';
  const noteRaiseEvidence = (error: unknown) => {
    const evidence = raiseEvidenceOf(error);
    if (!evidence) return;
    createSentAt = evidence.createSentAt ?? undefined;
    sourceLabel = evidence.source;
    status.createUnconfirmed = createSentAt === undefined ? undefined : true;
  };
  /** The outcome of a failed attempt, and the sentence a person reads. */
  const failedOutcome = (error: Error): AttemptOutcome => {
    const needsAttention = isNeedsAttention(error);
    if (createSentAt === undefined) return { state: needsAttention ? 'needs_attention' : 'failed', reason: describeFailure(error) };
    // A find that saw documents it could not tell apart says so itself, naming them.
    if (activityFailureType(error) === 'UnconfirmedOrderError') return { state: 'needs_attention', reason: causeMessage(error) };
    const since = needsAttention ? describeFailure(error) : whatEndedIt(error);
    return {
      state: 'needs_attention',
      reason:
        `cannot confirm whether order ${channelOrderCode} exists in ${sourceLabel}: a create sent at ${new Date(createSentAt).toISOString()} ` +
        `got no clear answer, and since then ${since}. Look for it in ${sourceLabel} before a retry; a retry looks for it before creating anything`,
    };
  };

  /**
   * The `OrderState` search attribute follows every change of `status.state`: an upsert, so a change
   * of the command sequence, behind the patch 'order-state-search-attribute' (docs/versioning.md).
   * The patch is asked at a state change, and its answer kept once it is yes. Replaying a history
   * from before the change it answers no (no marker there) without deciding, so a run started by
   * older code replays as it ran and gets the attribute at its first state change on this code (where
   * the marker is recorded); a new run records it at its first state change. 'received' lasts only
   * until the first workflow task, so the first value written is 'raising'.
   */
  let orderStateAttribute = false;
  const setState = (state: OrderState) => {
    status.state = state;
    if (!orderStateAttribute) orderStateAttribute = isPatched('order-state-search-attribute');
    if (orderStateAttribute) upsertSearchAttributes([{ key: OrderStateKey, value: state }]);
  };

  /**
   * The read and the write-back as local activities (patch 'order-local-activities'), asked at each
   * call until yes, like the patch above: a run started by older code replays its queued calls, and
   * makes its next call on this code as a local activity.
   */
  let localSteps = false;
  const steps = () => {
    if (!localSteps) localSteps = isPatched('order-local-activities');
    return localSteps ? local : queued;
  };

  setHandler(statusQuery, () => status);
  setHandler(sourceAvailableSignal, () => {
    sourceAvailable = true;
  });
  setHandler(orderDeliveredSignal, ({ via, contentHash, submittedOrder: submitted }) => {
    status.deliveries[via] += 1;
    if (submitted !== undefined) submittedOrder = submitted;
    if (waitingForFix() && (contentHash === undefined || contentHash !== attemptedHash)) recheckRequested = true;
  });
  setHandler(
    retryUpdate,
    () => {
      retryRequested = true;
      return { attempt: status.attempts + 1 };
    },
    {
      validator: () => {
        if (waitingForFix()) return;
        if (retryRequested) throw new Error(`Order ${channelOrderCode}: a retry is already on its way`);
        const where = status.state === 'raised' ? `already raised as ${status.sourceOrderCode}` : `being raised now (attempt ${status.attempts})`;
        throw new Error(`Order ${channelOrderCode} is ${where}; a retry is taken only while it waits for a fix`);
      },
    },
  );
  upsertSearchAttributes([
    { key: ConnectionIdKey, value: connectionId },
    { key: ChannelOrderCodeKey, value: channelOrderCode },
  ]);

  const prepare = async (): Promise<PreparedOrder> => {
    const prepared = await steps().prepareOrder({ connectionId, channelOrderCode, ...(submittedOrder === undefined ? {} : { submittedOrder }) });
    if (prepared.outcome !== 'not_found') attemptedHash = prepared.contentHash;
    return prepared;
  };

  /** One attempt: raised in the source, or why not (a cause for a person, or the retry window ran out). */
  const attempt = async (preparedBefore: PreparedOrder | undefined): Promise<AttemptOutcome> => {
    try {
      const prepared = preparedBefore ?? (await prepare());
      if (prepared.outcome === 'not_found' || prepared.outcome === 'invalid') return { state: 'needs_attention', reason: prepared.reason };
      if (prepared.outcome === 'already_raised') {
        status.sourceOrderCode = prepared.sourceOrderCode;
        status.alreadyExisted = true;
        return { state: 'raised' };
      }
      upsertSearchAttributes([{ key: SourceKindKey, value: prepared.sourceKind }]);
      const raised = await raiseWhenReachable(prepared);
      status.sourceOrderCode = raised.sourceOrderCode;
      status.alreadyExisted = raised.alreadyExisted;
      status.writeBackPending = true;
      return { state: 'raised' };
    } catch (error) {
      if (isCancellation(error) || !(error instanceof Error)) throw error;
      noteRaiseEvidence(error);
      return failedOutcome(error);
    }
  };

  /**
   * The raise, through outages: a source that does not answer ends the attempt at once, and the order
   * waits here, holding no worker slot, until the connection's source watch finds the source back
   * (or an hour passes), for up to the connection's retry window.
   */
  async function raiseWhenReachable(prepared: Extract<PreparedOrder, { outcome: 'ready' }>) {
    const windowEnd = Date.now() + prepared.orderRetryDays * DAY_MS;
    for (;;) {
      try {
        return await sourceActivities(prepared).raiseInSource({
          connectionId,
          channelOrderCode,
          document: prepared.document,
          ...(createSentAt === undefined ? {} : { createSentAt }),
        });
      } catch (error) {
        noteRaiseEvidence(error);
        if (!isSourceUnreachable(error) || Date.now() >= windowEnd) throw error;
        status.waitingForSource = true;
        setCurrentDetails(`Waiting for the source of ${connectionId} to answer (attempt ${status.attempts}): ${causeMessage(error as Error)}`);
        sourceAvailable = false;
        await registerSourceWaiter({ connectionId, workflowId: workflowInfo().workflowId });
        await condition(() => sourceAvailable, Math.max(1, Math.min(SOURCE_WAIT_FALLBACK_MS, windowEnd - Date.now())));
        status.waitingForSource = false;
        setCurrentDetails(`Raising order ${channelOrderCode} (attempt ${status.attempts}, the source answers again)`);
      }
    }
  }

  let reread: PreparedOrder | undefined;
  for (;;) {
    // Cleared when an attempt starts, not when the wait starts: a retry sent while the failure is
    // still being written back is kept.
    retryRequested = false;
    recheckRequested = false;
    status.attempts += 1;
    setState('raising');
    setCurrentDetails(`Raising order ${channelOrderCode} (attempt ${status.attempts})`);
    const outcome = await attempt(reread);
    setState(outcome.state);
    if (outcome.state === 'raised') {
      status.reason = undefined;
      const how = status.alreadyExisted ? ' (found already raised)' : '';
      if (status.writeBackPending) {
        // From here on the order is raised, whatever Stock2Shop answers and however long it takes.
        setCurrentDetails(`Raised as ${status.sourceOrderCode}${how}; writing it back to Stock2Shop (pending until Stock2Shop takes it)`);
        await steps().writeBackSourceOrderCode({ connectionId, channelOrderCode, sourceOrderCode: status.sourceOrderCode! });
        status.writeBackPending = false;
      }
      setCurrentDetails(`Raised as ${status.sourceOrderCode}${how}`);
      return status;
    }
    const { reason } = outcome;
    status.reason = reason;
    setCurrentDetails(`${outcome.state === 'failed' ? 'Failed' : 'Needs attention'}: ${reason}. Send 'retry' after the fix.`);
    await writeBackOrderFailure({ connectionId, channelOrderCode, reason }).catch((writeBackError: unknown) => {
      if (isCancellation(writeBackError)) throw writeBackError;
      // The order's own state stays visible here and in the Web UI even when Stock2Shop cannot be told.
      log.warn('Could not write the failure reason back to Stock2Shop', { channelOrderCode, error: String(writeBackError) });
    });
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
        // An order that may be in the source is never called "not raised".
        const unconfirmed = createSentAt !== undefined;
        throw ApplicationFailure.create({
          type: unconfirmed ? 'OrderNotConfirmed' : 'OrderNotRaised',
          message: unconfirmed
            ? `Order ${channelOrderCode}: nobody confirmed whether it exists in ${sourceLabel} within 30 days: ${status.reason}`
            : `Order ${channelOrderCode} was not raised: ${status.reason}`,
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
