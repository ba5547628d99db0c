/**
 * The shapes that cross the workflow/activity boundary. Workflows import this file for types only;
 * everything here is small and serialisable, and never holds a credential or a product record.
 */
import type { Connection, SourceKind } from '../domain';

/** A connection as workflows see it: everything but where its secrets live. */
/** Where a confined connection's agent is reached (its client's Nexus endpoint), and the grant a request to it carries. */
export interface AgentRoute {
  endpoint: string;
  grant: string;
}

/** `agentRoute`: how a confined agent's catalog calls are reached (its endpoint, and their grant). */
export type ConnectionProfile = Omit<Connection, 'credentialsRef'> & { taskQueue: string; agentRoute?: AgentRoute };

export interface InvalidRecord {
  code: string;
  field: string;
  reason: string;
}

export interface ProductCounts {
  /** Records read from the source. */
  listed: number;
  /** ACTIVE records sent to Stock2Shop because their content changed. */
  pushed: number;
  /** Records whose content was the same as at their last push. */
  unchanged: number;
  /** DELETE records sent as `product_active: false`. */
  deleted: number;
  /** IGNORE records, never sent. */
  ignored: number;
  /** Records that failed validation. */
  invalid: number;
}

export const emptyCounts = (): ProductCounts => ({ listed: 0, pushed: 0, unchanged: 0, deleted: 0, ignored: 0, invalid: 0 });

/** `total` plus the counts of `more` (a page, or a run of pages). */
export function addCounts(total: ProductCounts, more: ProductCounts): ProductCounts {
  return {
    listed: total.listed + more.listed,
    pushed: total.pushed + more.pushed,
    unchanged: total.unchanged + more.unchanged,
    deleted: total.deleted + more.deleted,
    ignored: total.ignored + more.ignored,
    invalid: total.invalid + more.invalid,
  };
}

export interface SyncProductPageInput {
  connectionId: string;
  cursor: string | null;
  /** Push every record, changed or not. */
  full: boolean;
  /** Identifies one full pass over the catalog, across continue-as-new. */
  passId: string;
}

export interface SyncProductPageResult extends ProductCounts {
  nextCursor: string | null;
  invalidRecords: InvalidRecord[];
  /** Asked for `onlyCodes`: what became of each of them found on these pages (an older agent leaves it out). */
  selected?: SelectedProduct[];
}

/** A product a one-off push asked for, found in the source: what it came to. */
export interface SelectedProduct {
  code: string;
  outcome: 'pushed' | 'sent_as_deleted' | 'ignored' | 'invalid';
}

/** A pass's summary lists this many bad records; the counts cover them all. */
export const MAX_LISTED_INVALID_RECORDS = 100;

/** Pages one after another from `cursor`, at most `maxPages` of them, in one activity. */
export interface SyncProductPagesInput extends SyncProductPageInput {
  maxPages: number;
  /** The pass's number of the first page, so a failure names the page it happened on (none: the caller names it). */
  firstPage?: number;
  /** At the catalog's end, run the pass's removed-products step too (`removal` in the result): one round trip less. */
  reconcileAtEnd?: boolean;
  /**
   * A one-off push (`sync push`): only the records of these codes are mapped and pushed, whatever
   * their stored hash, nothing is marked seen, and the run stops once all are found. The rest of
   * each page is read only to find them (the sources have no lookup by code).
   */
  onlyCodes?: string[];
}

/** How the failure of a page starts: "page 12 (after cursor 11000) failed: ". */
export const pageFailurePrefix = (page: number, cursor: string | null) => `page ${page} (after cursor ${cursor ?? 'start'}) failed: `;
/** How the failure of a pass's removed-products step starts. */
export const REMOVED_PRODUCTS_FAILURE_PREFIX = 'the removed-products step failed: ';
/** The failure message names its step already (a page, or the removed-products step). */
export const namesItsStep = (message: string) => /^page \d+ \(after cursor .*\) failed: /.test(message) || message.startsWith(REMOVED_PRODUCTS_FAILURE_PREFIX);

/** The pages done: their counts together, and where the pass goes on (null: the catalog's end). */
export interface SyncProductPagesResult extends SyncProductPageResult {
  pages: number;
  /** The removed-products step, when asked for and the pages reached the catalog's end. */
  removal?: ReconcileRemovedResult;
}

export interface ReconcileRemovedInput {
  connectionId: string;
  passId: string;
}

export interface ReconcileRemovedResult {
  /** Products pushed before that this pass no longer listed. */
  removed: number;
  removedCodes: string[];
  /** Of those, how many were sent as inactive (only when the connection asks for it). */
  deactivated: number;
}

export interface PrepareOrderInput {
  connectionId: string;
  channelOrderCode: string;
  /** The caller knows the outcome `cancelled`; without it, an order cancelled in Stock2Shop is `invalid` (never raised). */
  acceptsCancelled?: boolean;
}

/**
 * An order read from Stock2Shop (never from the caller who announced it), validated and mapped to the
 * source's document in an activity, so a change to a mapping never changes an open workflow's replay.
 */
export type PreparedOrder =
  | {
      outcome: 'ready';
      contentHash: string;
      /** The source document to create. */
      document: unknown;
      sourceKind: SourceKind;
      /** Where the source's activities run. */
      taskQueue: string;
      orderRetryDays: number;
      /** A confined agent: its endpoint, and the grant for raising exactly this document. */
      agentRoute?: AgentRoute;
    }
  /** The order cannot be raised as it is; `reason` names the order and the field. */
  | { outcome: 'invalid'; contentHash: string; reason: string }
  /** Stock2Shop already shows a source order code for this source: the order was raised before. */
  | { outcome: 'already_raised'; contentHash: string; sourceOrderCode: string }
  /** Stock2Shop holds no such order for this source. */
  | { outcome: 'not_found'; reason: string }
  /** Stock2Shop shows the order cancelled for this source (written back by an earlier run): never raised. */
  | { outcome: 'cancelled'; contentHash: string; reason: string };

export interface RaiseInSourceInput {
  connectionId: string;
  channelOrderCode: string;
  /** The source document, mapped by `prepareOrder`. */
  document: unknown;
  /** What the order remembers: a create sent then (ms since the epoch) may have reached the source. */
  createSentAt?: number;
}

/**
 * What a raise knows of its creates, carried on every failure of `raiseInSource` (its
 * ApplicationFailure's first detail) and in its heartbeats, so the order remembers it across attempts.
 */
export interface RaiseEvidence {
  /** A create sent then may have reached the source; null: a find has since proved the order absent. */
  createSentAt: number | null;
  /** The source's name, for the sentence a person reads ("Omni Accounts"). */
  source: string;
}

/** What a raise attempt has done so far, in its heartbeat details (shown as the pending activity's details). */
export type RaiseStage = 'finding' | 'found' | 'creating' | 'created';

export interface RaiseInSourceResult {
  sourceOrderCode: string;
  /** True when the source already held the document (an earlier create whose answer was lost). */
  alreadyExisted: boolean;
}

export interface OrderWriteBack {
  connectionId: string;
  channelOrderCode: string;
}

export interface DeliverWaitingOrdersResult {
  delivered: number;
  /** Listed entries without a channel_order_code (nothing to raise or write back; see the worker log). */
  withoutCode: number;
}

export type { SourceKind };

/**
 * The one list of failures a person must fix (retrying alone cannot help): activities raise these
 * types as non-retryable, and workflows read them as "needs attention" and name them in every
 * `nonRetryableErrorTypes`.
 */
export const NEEDS_ATTENTION_ERROR_TYPES = [
  'AuthenticationError',
  'RejectedBySourceError',
  'MalformedAnswerError',
  'UnconfirmedOrderError',
  'DomainValidationError',
  'UnknownConnectionError',
] as const;

/**
 * A create whose answer never came (timeout, a connection lost after the request was sent, a garbled
 * answer): the source may have created the document. Retried, after the connection's commit delay,
 * as a find first; never as a blind second create.
 */
export const UNCERTAIN_CREATE_ERROR_TYPE = 'UncertainCreateError';

/**
 * The source did not answer (refused, reset, timed out) before anything was created: the attempt ends
 * at once, not retried by Temporal, and the order waits in its workflow for the connection's probe.
 */
export const SOURCE_UNREACHABLE_ERROR_TYPE = 'SourceUnreachableError';

/**
 * Stock2Shop is slow or down right now (a call of this account took over a second, or failed): a local
 * activity hands its call to an activity task at once instead of holding its workflow task's slot.
 */
export const STOCK2SHOP_SLOW_ERROR_TYPE = 'Stock2ShopSlowError';

export interface SourceWaiter {
  connectionId: string;
  /** The workflow to wake (signal `sourceAvailable`) once the source answers. */
  workflowId: string;
  /** Wakes of this order that found the source still unreachable: the watch backs off. */
  futileWakes?: number;
}

/** A raised order met something it cannot apply (a change, a cancel): a person is told, and Stock2Shop. */
export interface RaisedOrderNotice extends OrderWriteBack {
  sourceOrderCode: string;
  /** The sentence written back, e.g. "changed after it was raised as SO000012; not applied". */
  notice: string;
}

/** An order delivered after its workflow closed. */
export interface LateDeliveryInput {
  connectionId: string;
  channelOrderCode: string;
}

/** What the review of a late delivery did. */
export interface LateDeliveryReview {
  outcome: 'nothing_new' | 'change_reported' | 'cancel_written_back';
  /** The sentence written back to Stock2Shop, when one was. */
  notice?: string;
}
