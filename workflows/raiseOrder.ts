import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  ContinueAsNew,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
// Under its own name: the next change's `patched` (docs/versioning.md's worked example, built by
// test/helpers/variant-bundle.ts) goes into the import list above.
import { patched as isPatched } from '@temporalio/workflow';
import type { PreparedOrder, RaiseInSourceResult } from '../contracts/activities';
import {
  cancelUpdate,
  isDeliveryChannel,
  orderDeliveredSignal,
  retryUpdate,
  skipUpdate,
  sourceAvailableSignal,
  statusQuery,
  type CancelRequest,
  type OrderState,
  type OrderStatus,
  type RaiseOrderCarry,
  type RaiseOrderInput,
  type SkipRequest,
} from '../contracts/workflows';
import { raiseCall } from './agent-calls';
import { activityFailureType, causeMessage, describeFailure, isNeedsAttention, isSourceUnreachable, raiseEvidenceOf, whatEndedIt } from './failures';
import { central, local, queued, reportRaisedOrderNotice, writeBackOrderCancelled, type OrderSteps, type ReadyOrder } from './order-steps';
import { ChannelOrderCodeKey, ConnectionIdKey, OrderStateKey, SourceKindKey } from '../contracts/search-attributes';
import { escapeOrderCode } from '../domain/order-code';

/** How long an order that needs a person waits for a `retry` before its workflow closes as failed. */
export const WAIT_FOR_FIX_MS = 30 * 24 * 60 * 60 * 1000;
/** While its source is down, an order tries again at least this often, even if no probe wakes it. */
const SOURCE_WAIT_FALLBACK_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

type AttemptOutcome =
  | { state: 'raised' }
  | { state: 'needs_attention' | 'failed'; reason: string }
  /** Stock2Shop shows the order cancelled: nothing to raise, nothing to write back. */
  | { state: 'cancelled'; reason: string };

/**
 * `patched(id)`, asked at each point of need until it answers yes, then kept. Replaying a history
 * from before a change it answers no (no marker there) without deciding, so a run started by older
 * code replays as it ran and takes the change at its next such point on this code, where the marker
 * is recorded.
 */
class Patches {
  private readonly taken = new Set<string>();
  has(id: string): boolean {
    if (!this.taken.has(id) && isPatched(id)) this.taken.add(id);
    return this.taken.has(id);
  }
  /** Whether `id` was answered yes already, without asking it. */
  known(id: string): boolean {
    return this.taken.has(id);
  }
}

/** One order, raised in the connection's source exactly once, however often it is delivered. */
export async function raiseOrder(input: RaiseOrderInput): Promise<OrderStatus> {
  return new OrderRun(input).run();
}

class OrderRun {
  private readonly connectionId: string;
  /** Stock2Shop's code, as every activity is given it. */
  private readonly code: string;
  /** The code as shown (search attribute, details, messages): a valid code as it is, any other escaped. */
  private readonly shown: string;
  private readonly status: OrderStatus;
  private readonly patches = new Patches();
  /** Everything but the raise and what must follow it: a cancel (a person's, or Temporal's) stops it. */
  private readonly body = new CancellationScope();
  /** The content the last read saw: a delivery of the same content does not start another attempt. */
  private attemptedHash: string | undefined;
  /** A delivery of other (or unknown) content arrived since the last read: read again before a create. */
  private deliveredSinceRead = false;
  private retryRequested = false;
  private recheckRequested = false;
  private sourceAvailable = false;
  private raiseInFlight = false;
  private fixWaitEnded = false;
  private cancelRequest: CancelRequest | undefined;
  /** A person handled the order outside the engine (patch 'order-skip'): the run ends as skipped. */
  private skipRequest: SkipRequest | undefined;
  /** A skip accepted while the failure is being written back ends the run once Stock2Shop has it, so the skip is told last. */
  private skipDeferred = false;
  private failureWriteBackInFlight = false;
  /** What the run waits for in a condition, with nothing in flight: only then is a skip taken. */
  private resting: 'fix' | 'source' | undefined;
  /**
   * A create that may have reached the source, remembered from the raise's failures until a find proves
   * the order absent: from then on no path says "not raised" (the order may be there).
   */
  private createSentAt: number | undefined;
  private sourceLabel = 'the source';
  private orderStateAttribute = false;

  constructor(private readonly input: RaiseOrderInput) {
    this.connectionId = input.connectionId;
    this.code = input.channelOrderCode;
    this.shown = escapeOrderCode(input.channelOrderCode);
    const carried = input.carried;
    this.status = carried?.status ?? {
      connectionId: this.connectionId,
      channelOrderCode: this.code,
      state: 'received',
      attempts: 0,
      deliveries: { webhook: 0, poll: 0, cli: 0 },
    };
    if (carried) {
      this.attemptedHash = carried.attemptedHash;
      this.createSentAt = carried.createSentAt;
      this.sourceLabel = carried.sourceLabel;
      this.deliveredSinceRead = carried.deliveredSinceRead;
      this.retryRequested = carried.retryRequested;
      this.orderStateAttribute = true;
    }
    this.registerHandlers();
  }

  private get waitingForFix(): boolean {
    return this.status.state === 'needs_attention' || this.status.state === 'failed';
  }

  private registerHandlers(): void {
    const status = this.status;
    setHandler(statusQuery, () => status);
    setHandler(sourceAvailableSignal, () => {
      this.sourceAvailable = true;
    });
    setHandler(orderDeliveredSignal, (delivery) => {
      const { via, contentHash } = delivery;
      // Only Stock2Shop's content reaches a source: an order in the signal is never used, and said.
      if ('submittedOrder' in delivery)
        log.warn(`security: a delivery of order ${this.shown} via ${via} carried an order; ignored, the order is read from Stock2Shop`);
      if (!isDeliveryChannel(via)) return log.warn(`security: a delivery of order ${this.shown} named no channel the engine knows; dropped`);
      status.deliveries[via] += 1;
      const changed = contentHash === undefined || contentHash !== this.attemptedHash;
      if (changed) this.deliveredSinceRead = true;
      if (this.waitingForFix && changed) this.recheckRequested = true;
    });
    setHandler(
      retryUpdate,
      () => {
        this.retryRequested = true;
        return { attempt: status.attempts + 1 };
      },
      { validator: () => this.refuseRetry() },
    );
    setHandler(
      cancelUpdate,
      (request) => {
        this.cancelRequest = request;
        this.body.cancel();
        return { cancelled: true as const };
      },
      { validator: (request) => this.refuseCancel(request) },
    );
    setHandler(
      skipUpdate,
      (request) => {
        // Before the patch there was no skip: the recorder's code before it takes one as a cancel.
        if (this.patches.has('order-skip')) this.skipRequest = { reason: request.reason.trim(), by: request.by.trim() };
        else this.cancelRequest = request;
        if (this.failureWriteBackInFlight) this.skipDeferred = true;
        else this.body.cancel();
        return { skipped: true as const };
      },
      { validator: (request) => this.refuseSkip(request) },
    );
  }

  private refuseRetry(): void {
    if (this.skipRequest) throw new Error(`Order ${this.shown} is skipped (by ${this.skipRequest.by}: ${this.skipRequest.reason}); it is never raised`);
    // The wait ran out in an earlier activation of this task: the order is failing, a retry would be a promise not kept.
    if (this.fixWaitEnded) throw new Error(`Order ${this.shown} stopped waiting for a fix (30 days passed); announce it again from Stock2Shop to start over`);
    if (this.waitingForFix) return;
    if (this.retryRequested) throw new Error(`Order ${this.shown}: a retry is already on its way`);
    if (this.status.state === 'cancelled') throw new Error(`Order ${this.shown} is cancelled (${this.status.reason}); it is never raised`);
    const where = this.status.state === 'raised' ? `already raised as ${this.status.sourceOrderCode}` : `being raised now (attempt ${this.status.attempts})`;
    throw new Error(`Order ${this.shown} is ${where}; a retry is taken only while it waits for a fix`);
  }

  private refuseCancel(request: CancelRequest): void {
    if (typeof request?.reason !== 'string' || request.reason.trim() === '') throw new Error('A cancel needs a reason');
    if (this.status.sourceOrderCode !== undefined) {
      throw new Error(`Order ${this.shown} is already raised as ${this.status.sourceOrderCode}; cancel it in ${this.sourceLabel} by hand`);
    }
    if (this.status.state === 'cancelled' || this.cancelRequest) throw new Error(`Order ${this.shown} is cancelled already`);
    if (this.skipRequest) throw new Error(`Order ${this.shown} is skipped already (by ${this.skipRequest.by}: ${this.skipRequest.reason})`);
    if (this.raiseInFlight) {
      throw new Error(`Order ${this.shown} is being raised in ${this.sourceLabel} now (attempt ${this.status.attempts}); ask again once it is raised or waits`);
    }
  }

  /** A skip is taken only while the order waits, for a fix or for its source, with no read or raise of it under way. */
  private refuseSkip(request: SkipRequest): void {
    if (typeof request?.reason !== 'string' || request.reason.trim() === '') throw new Error('A skip needs a reason');
    if (typeof request.by !== 'string' || request.by.trim() === '') throw new Error('A skip needs who handled the order');
    if (this.status.sourceOrderCode !== undefined) {
      throw new Error(`Order ${this.shown} is already raised as ${this.status.sourceOrderCode}; there is nothing to skip`);
    }
    if (this.skipRequest) throw new Error(`Order ${this.shown} is skipped already (by ${this.skipRequest.by}: ${this.skipRequest.reason})`);
    if (this.status.state === 'cancelled' || this.cancelRequest) throw new Error(`Order ${this.shown} is cancelled; it is never raised`);
    if (this.fixWaitEnded) throw new Error(`Order ${this.shown} stopped waiting for a fix (30 days passed); it is closing as failed`);
    if (this.retryRequested) throw new Error(`Order ${this.shown}: a retry is on its way; ask again if it needs a person once more`);
    if (this.resting !== undefined || this.failureWriteBackInFlight) return;
    const where = this.raiseInFlight ? `being raised in ${this.sourceLabel} now` : 'being raised now (read from Stock2Shop, or sent to its source)';
    throw new Error(`Order ${this.shown} is ${where} (attempt ${this.status.attempts}); a skip is taken only while it waits for a fix or for its source`);
  }

  /**
   * The `OrderState` search attribute follows every change of `status.state`: an upsert, so a change
   * of the command sequence, behind the patch 'order-state-search-attribute' (docs/versioning.md).
   * 'received' lasts only until the first workflow task, so the first value written is 'raising'.
   */
  private setState(state: OrderState): void {
    this.status.state = state;
    if (!this.orderStateAttribute) this.orderStateAttribute = this.patches.has('order-state-search-attribute');
    if (this.orderStateAttribute) upsertSearchAttributes([{ key: OrderStateKey, value: state }]);
  }

  /** The read and the write-back as local activities (patch 'order-local-activities'). */
  private steps(): OrderSteps {
    return this.patches.has('order-local-activities') ? local : queued;
  }

  /** Behind the patch 'order-cancels-and-changes', what must not stop half-way (the raise, and what follows it) ignores a cancel. */
  private shielded<T>(step: () => Promise<T>): Promise<T> {
    return this.patches.has('order-cancels-and-changes') ? CancellationScope.nonCancellable(step) : step();
  }

  async run(): Promise<OrderStatus> {
    if (!this.input.carried) {
      upsertSearchAttributes([
        { key: ConnectionIdKey, value: this.connectionId },
        { key: ChannelOrderCodeKey, value: this.shown },
      ]);
    }
    try {
      return await this.body.run(() => this.main());
    } catch (error) {
      if (isCancellation(error) && this.skipRequest) return await this.endSkipped(this.skipRequest);
      if (!isCancellation(error) || !this.patches.has('order-cancels-and-changes')) throw error;
      return await this.endCancelled(error);
    }
  }

  private async main(): Promise<OrderStatus> {
    const resume = this.input.carried?.waiting;
    let reread = resume?.for === 'fix' ? await this.waitForFixOrCorrection(resume.deadline) : undefined;
    let resumeSource = resume?.for === 'source' ? resume : undefined;
    for (;;) {
      // Cleared when an attempt starts, not when the wait starts: a retry sent while the failure is
      // still being written back is kept.
      this.retryRequested = false;
      this.recheckRequested = false;
      if (!resumeSource) this.status.attempts += 1;
      this.setState('raising');
      setCurrentDetails(`Raising order ${this.shown} (attempt ${this.status.attempts})`);
      const outcome = await this.attempt(reread, resumeSource);
      resumeSource = undefined;
      if (outcome.state === 'cancelled') return this.cancelledInStock2Shop(outcome.reason);
      this.setState(outcome.state);
      if (outcome.state === 'raised') return this.finishRaised();
      const { reason } = outcome;
      this.status.reason = reason;
      setCurrentDetails(`${outcome.state === 'failed' ? 'Failed' : 'Needs attention'}: ${reason}. Send 'retry' after the fix.`);
      this.failureWriteBackInFlight = true;
      await central.writeBackOrderFailure({ connectionId: this.connectionId, channelOrderCode: this.code, reason }).catch((writeBackError: unknown) => {
        if (isCancellation(writeBackError)) throw writeBackError;
        // The order's own state stays visible here and in the Web UI even when Stock2Shop cannot be told.
        log.warn('Could not write the failure reason back to Stock2Shop', { channelOrderCode: this.shown, error: String(writeBackError) });
      });
      this.failureWriteBackInFlight = false;
      if (this.skipDeferred) this.body.cancel();
      reread = await this.waitForFixOrCorrection(Date.now() + WAIT_FOR_FIX_MS);
    }
  }

  private async prepare(): Promise<PreparedOrder> {
    // The patch 'order-cancels-and-changes' (a cancel that sticks, the re-read after a delivery, a change
    // reported after the raise) is asked before the read, not first after it: on replay, a local
    // activity's result can reach the code before the patches of the task that follows it are known.
    this.patches.has('order-cancels-and-changes');
    this.deliveredSinceRead = false;
    const prepared = await this.steps().prepareOrder({ connectionId: this.connectionId, channelOrderCode: this.code, acceptsCancelled: true });
    if (prepared.outcome !== 'not_found') this.attemptedHash = prepared.contentHash;
    return prepared;
  }

  /** The outcome a read settles by itself (nothing to raise), or undefined for an order ready to raise. */
  private settledBy(prepared: PreparedOrder): AttemptOutcome | undefined {
    if (prepared.outcome === 'not_found' || prepared.outcome === 'invalid') return { state: 'needs_attention', reason: prepared.reason };
    if (prepared.outcome === 'cancelled') return { state: 'cancelled', reason: prepared.reason };
    if (prepared.outcome === 'already_raised') {
      this.status.sourceOrderCode = prepared.sourceOrderCode;
      this.status.alreadyExisted = true;
      this.status.raisedContentHash = prepared.contentHash;
      return { state: 'raised' };
    }
    return undefined;
  }

  /** One attempt: raised in the source, or why not (a cause for a person, or the retry window ran out). */
  private async attempt(preparedBefore: PreparedOrder | undefined, resume?: { windowEnd: number; sourceAvailable: boolean }): Promise<AttemptOutcome> {
    try {
      if (resume) return await this.raiseWhenReachable(undefined, resume);
      const prepared = preparedBefore ?? (await this.prepare());
      const settled = this.settledBy(prepared);
      if (settled) return settled;
      upsertSearchAttributes([{ key: SourceKindKey, value: (prepared as ReadyOrder).sourceKind }]);
      const raised = await this.raiseWhenReachable(prepared as ReadyOrder);
      return raised;
    } catch (error) {
      // A cancel, and continue-as-new (thrown to end the run), are not the attempt's failure.
      if (isCancellation(error) || error instanceof ContinueAsNew || !(error instanceof Error)) throw error;
      this.noteRaiseEvidence(error);
      return this.failedOutcome(error);
    }
  }

  /**
   * The raise, through outages: a source that does not answer ends the raise at once, and the order
   * waits here, holding no worker slot, until the connection's source watch finds the source back (or
   * an hour passes), for up to the connection's retry window. Before each raise the order is read
   * again if a delivery arrived since it was last read (patch 'order-cancels-and-changes'), so a
   * correction made while the source was down is the one raised.
   */
  private async raiseWhenReachable(prepared: ReadyOrder | undefined, resume?: { windowEnd: number; sourceAvailable: boolean }): Promise<AttemptOutcome> {
    let ready = prepared;
    const windowEnd = resume?.windowEnd ?? Date.now() + prepared!.orderRetryDays * DAY_MS;
    let woken = false;
    if (resume) woken = await this.waitForSource(windowEnd, resume.sourceAvailable);
    for (;;) {
      if (ready === undefined || (this.deliveredSinceRead && this.patches.has('order-cancels-and-changes'))) {
        const fresh = await this.prepare();
        const settled = this.settledBy(fresh);
        if (settled) return settled;
        ready = fresh as ReadyOrder;
      }
      try {
        const raised = await this.raiseOnce(ready);
        this.status.sourceOrderCode = raised.sourceOrderCode;
        this.status.alreadyExisted = raised.alreadyExisted;
        this.status.writeBackPending = true;
        this.status.raisedContentHash = this.attemptedHash;
        this.status.futileWakes = undefined;
        return { state: 'raised' };
      } catch (error) {
        this.noteRaiseEvidence(error);
        if (!isSourceUnreachable(error) || Date.now() >= windowEnd) throw error;
        // Woken by the watch, and still no answer: the watch waits longer before it wakes the order again.
        if (woken) this.status.futileWakes = (this.status.futileWakes ?? 0) + 1;
        this.status.waitingForSource = true;
        setCurrentDetails(`Waiting for the source of ${this.connectionId} to answer (attempt ${this.status.attempts}): ${causeMessage(error as Error)}`);
        this.sourceAvailable = false;
        await central.registerSourceWaiter({
          connectionId: this.connectionId,
          workflowId: workflowInfo().workflowId,
          ...(this.status.futileWakes ? { futileWakes: this.status.futileWakes } : {}),
        });
        woken = await this.waitForSource(windowEnd, false);
      }
    }
  }

  /** The raise activity, on the source's queue; once started it runs to its end whatever is cancelled meanwhile. */
  private async raiseOnce(ready: ReadyOrder): Promise<RaiseInSourceResult> {
    const raise = () =>
      raiseCall(ready)({
        connectionId: this.connectionId,
        channelOrderCode: this.code,
        document: ready.document,
        ...(this.createSentAt === undefined ? {} : { createSentAt: this.createSentAt }),
      });
    if (!this.patches.has('order-cancels-and-changes')) return raise();
    // A cancel accepted before the raise starts stops it; one after waits for its answer.
    if (this.body.consideredCancelled) throw new CancelledFailure('Order cancelled before its raise');
    this.raiseInFlight = true;
    try {
      return await CancellationScope.nonCancellable(raise);
    } finally {
      this.raiseInFlight = false;
    }
  }

  /** Waits to be woken by the source watch (true) or for the hourly fallback (false); continues as new when the history is long. */
  private async waitForSource(windowEnd: number, alreadyWoken: boolean): Promise<boolean> {
    this.sourceAvailable = alreadyWoken;
    this.patches.has('order-continue-as-new');
    const satisfied = await this.rest('source', () =>
      condition(() => this.sourceAvailable || this.longHistory(), Math.max(1, Math.min(SOURCE_WAIT_FALLBACK_MS, windowEnd - Date.now()))),
    );
    if (satisfied && !this.sourceAvailable) await this.continueAsNew({ for: 'source', windowEnd, sourceAvailable: false });
    this.status.waitingForSource = false;
    setCurrentDetails(`Raising order ${this.shown} (attempt ${this.status.attempts}, ${this.sourceAvailable ? 'the source answers again' : 'trying again'})`);
    return this.sourceAvailable;
  }

  /**
   * Waits for a `retry`, or for a delivery of changed content (a corrected order), until `deadline`.
   * Returns the re-read order when a delivery brought a change, undefined on a retry.
   */
  private async waitForFixOrCorrection(deadline: number): Promise<PreparedOrder | undefined> {
    this.patches.has('order-continue-as-new');
    for (;;) {
      const remaining = deadline - Date.now();
      const woken =
        remaining > 0 && (await this.rest('fix', () => condition(() => this.retryRequested || this.recheckRequested || this.longHistory(), remaining)));
      if (woken && !this.retryRequested && !this.recheckRequested) await this.continueAsNew({ for: 'fix', deadline });
      // A retry accepted in the very task in which the wait ran out is honoured (patch 'honour-accepted-retry').
      if (!woken && !(this.patches.has('honour-accepted-retry') && this.retryRequested)) {
        this.fixWaitEnded = true;
        throw this.notRaisedInTime();
      }
      if (this.retryRequested) return undefined;
      this.recheckRequested = false;
      // Asked again before each read (a run that began waiting on older code takes it here).
      this.patches.has('order-continue-as-new');
      const previousHash = this.attemptedHash;
      const reread = await this.prepare();
      if (reread.outcome === 'not_found' || reread.contentHash !== previousHash) return reread;
    }
  }

  private notRaisedInTime(): ApplicationFailure {
    // An order that may be in the source is never called "not raised".
    const unconfirmed = this.createSentAt !== undefined;
    return ApplicationFailure.create({
      type: unconfirmed ? 'OrderNotConfirmed' : 'OrderNotRaised',
      message: unconfirmed
        ? `Order ${this.shown}: nobody confirmed whether it exists in ${this.sourceLabel} within 30 days: ${this.status.reason}`
        : `Order ${this.shown} was not raised: ${this.status.reason}`,
      nonRetryable: true,
      details: [this.status],
    });
  }

  /** A wait in a condition, with nothing of the order in flight: a skip may end it. */
  private async rest<T>(waitingFor: 'fix' | 'source', wait: () => Promise<T>): Promise<T> {
    this.resting = waitingFor;
    try {
      return await wait();
    } finally {
      this.resting = undefined;
    }
  }

  /** Temporal suggests continuing as new, and this run has the patch 'order-continue-as-new' (asked at the waits, never in a condition). */
  private longHistory(): boolean {
    return this.patches.known('order-continue-as-new') && workflowInfo().continueAsNewSuggested;
  }

  /** The history grew long (Temporal suggests it): the order goes on in a new run with its state. */
  private async continueAsNew(waiting: RaiseOrderCarry['waiting']): Promise<never> {
    await condition(allHandlersFinished);
    const carried: RaiseOrderCarry = {
      status: this.status,
      ...(this.attemptedHash === undefined ? {} : { attemptedHash: this.attemptedHash }),
      ...(this.createSentAt === undefined ? {} : { createSentAt: this.createSentAt }),
      sourceLabel: this.sourceLabel,
      deliveredSinceRead: this.deliveredSinceRead,
      retryRequested: this.retryRequested,
      waiting: waiting.for === 'source' ? { ...waiting, sourceAvailable: this.sourceAvailable } : waiting,
    };
    // The new run keeps the order's search attributes (ConnectionId, OrderState, …) explicitly.
    const next = makeContinueAsNewFunc<typeof raiseOrder>({ typedSearchAttributes: workflowInfo().typedSearchAttributes });
    return next({ connectionId: this.connectionId, channelOrderCode: this.code, carried });
  }

  /** Raised: Stock2Shop is told however long it takes, then what came meanwhile is reported. */
  private async finishRaised(): Promise<OrderStatus> {
    const status = this.status;
    status.reason = undefined;
    const how = status.alreadyExisted ? ' (found already raised)' : '';
    if (status.writeBackPending) {
      // From here on the order is raised, whatever Stock2Shop answers and however long it takes.
      setCurrentDetails(`Raised as ${status.sourceOrderCode}${how}; writing it back to Stock2Shop (pending until Stock2Shop takes it)`);
      await this.shielded(() =>
        this.steps().writeBackSourceOrderCode({ connectionId: this.connectionId, channelOrderCode: this.code, sourceOrderCode: status.sourceOrderCode! }),
      );
      status.writeBackPending = false;
    }
    await this.reportWhatCameAfterTheRead();
    setCurrentDetails(`Raised as ${status.sourceOrderCode}${how}${status.notApplied ? `; not applied: ${status.notApplied.join('; ')}` : ''}`);
    return status;
  }

  /**
   * A change announced after the read that was raised, or a cancel that came while the raise was under
   * way, cannot be applied to a raised order: each is reported (Stock2Shop, an alert, `cli problems`),
   * never dropped (patch 'order-cancels-and-changes').
   */
  private async reportWhatCameAfterTheRead(): Promise<void> {
    const cancelCame = this.body.consideredCancelled;
    if (!(this.deliveredSinceRead || cancelCame) || !this.patches.has('order-cancels-and-changes')) return;
    const raisedAs = this.status.sourceOrderCode!;
    const notices: string[] = [];
    if (cancelCame) {
      const who = this.cancelRequest ? `by ${this.cancelRequest.by}: ${this.cancelRequest.reason}` : 'in Temporal';
      notices.push(`cancelled (${who}) while it was being raised as ${raisedAs}; not applied: cancel ${raisedAs} in ${this.sourceLabel} by hand`);
    }
    if (this.deliveredSinceRead) {
      const raisedHash = this.status.raisedContentHash;
      const now = await this.shielded(() => this.prepare());
      if (now.outcome !== 'not_found' && raisedHash !== undefined && now.contentHash !== raisedHash) {
        notices.push(`changed after it was raised as ${raisedAs}; not applied: change ${raisedAs} in ${this.sourceLabel} by hand`);
      }
    }
    for (const notice of notices) {
      await this.shielded(() => reportRaisedOrderNotice({ connectionId: this.connectionId, channelOrderCode: this.code, sourceOrderCode: raisedAs, notice }));
    }
    if (notices.length > 0) this.status.notApplied = [...(this.status.notApplied ?? []), ...notices];
  }

  /** Cancelled by a person or in Temporal: Stock2Shop is told, and the order is never raised. */
  private async endCancelled(cancellation: unknown): Promise<OrderStatus> {
    const byTemporal = CancellationScope.current().consideredCancelled;
    // Raised already (the cancel came after the raise began): it stays raised, and the cancel is reported.
    if (this.status.sourceOrderCode !== undefined) {
      this.setState('raised');
      return CancellationScope.nonCancellable(() => this.finishRaised());
    }
    const request = this.cancelRequest ?? { reason: 'cancelled in Temporal (the Web UI or the API)', by: 'Temporal' };
    this.status.cancelled = request;
    this.status.reason = `cancelled by ${request.by}: ${request.reason}`;
    this.status.waitingForSource = undefined;
    this.setState('cancelled');
    setCurrentDetails(`Cancelled by ${request.by}: ${request.reason}; never raised`);
    await CancellationScope.nonCancellable(() =>
      writeBackOrderCancelled({ connectionId: this.connectionId, channelOrderCode: this.code, reason: this.status.reason! }),
    );
    if (byTemporal) throw cancellation;
    return this.status;
  }

  /** Handled outside the engine (`order skip`): Stock2Shop is told (its queue item skipped), and the order is never raised. */
  private async endSkipped(request: SkipRequest): Promise<OrderStatus> {
    this.status.skipped = request;
    this.status.reason = `skipped by ${request.by}: ${request.reason} (handled outside the engine)`;
    this.status.waitingForSource = undefined;
    this.setState('skipped');
    setCurrentDetails(`Skipped by ${request.by}: ${request.reason}; handled outside the engine, never raised`);
    await CancellationScope.nonCancellable(() =>
      writeBackOrderCancelled({ connectionId: this.connectionId, channelOrderCode: this.code, reason: this.status.reason!, skipped: true }),
    );
    return this.status;
  }

  /** Stock2Shop shows the order cancelled for this source (an earlier run wrote it back): it ends so. */
  private cancelledInStock2Shop(reason: string): OrderStatus {
    this.status.cancelled = { reason, by: 'Stock2Shop' };
    this.status.reason = reason;
    this.setState('cancelled');
    setCurrentDetails(`Cancelled in Stock2Shop: ${reason}; never raised`);
    return this.status;
  }

  private noteRaiseEvidence(error: unknown): void {
    const evidence = raiseEvidenceOf(error);
    if (!evidence) return;
    this.createSentAt = evidence.createSentAt ?? undefined;
    this.sourceLabel = evidence.source;
    this.status.createUnconfirmed = this.createSentAt === undefined ? undefined : true;
  }

  /** The outcome of a failed attempt, and the sentence a person reads. */
  private failedOutcome(error: Error): AttemptOutcome {
    const needsAttention = isNeedsAttention(error);
    const sentAt = this.createSentAt;
    if (sentAt === undefined) return { state: needsAttention ? 'needs_attention' : 'failed', reason: describeFailure(error) };
    // A find that saw documents it could not tell apart says so itself, naming them.
    if (activityFailureType(error) === 'UnconfirmedOrderError') return { state: 'needs_attention', reason: causeMessage(error) };
    const since = needsAttention ? describeFailure(error) : whatEndedIt(error);
    return {
      state: 'needs_attention',
      reason:
        `cannot confirm whether order ${this.shown} exists in ${this.sourceLabel}: a create sent at ${new Date(sentAt).toISOString()} ` +
        `got no clear answer, and since then ${since}. Look for it in ${this.sourceLabel} before a retry; a retry looks for it before creating anything`,
    };
  }
}
