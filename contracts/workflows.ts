// What the workflows agree on with those who start and ask them: signals, updates and queries, their
// inputs and results, apart from the workflow code so clients and activities import no workflow internals.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { InvalidRecord, ProductCounts, SelectedProduct } from './activities';

const ORDER_DELIVERY_CHANNELS = ['webhook', 'poll', 'cli'] as const;
export type OrderDeliveryChannel = (typeof ORDER_DELIVERY_CHANNELS)[number];

export function isDeliveryChannel(value: unknown): value is OrderDeliveryChannel {
  return (ORDER_DELIVERY_CHANNELS as readonly unknown[]).includes(value);
}

export type OrderState = 'received' | 'raising' | 'raised' | 'needs_attention' | 'failed' | 'cancelled' | 'skipped';

export interface OrderStatus {
  connectionId: string;
  channelOrderCode: string;
  state: OrderState;
  sourceOrderCode?: string;
  /** The source did not answer: the order waits for the connection's probe to find it back. */
  waitingForSource?: boolean;
  /** Raised, and Stock2Shop not told yet: the write-back retries on its own for as long as it takes. */
  writeBackPending?: boolean;
  /** The source already held the document when we asked (an earlier create whose answer was lost). */
  alreadyExisted?: boolean;
  /** A create may have reached the source and no find has confirmed it since: the order is never called "not raised". */
  createUnconfirmed?: boolean;
  /** Why the order is waiting for a person, or why it failed (or was cancelled). */
  reason?: string;
  /** Cancelled by a person (`order cancel`, or a cancel in the Web UI): it is never raised. */
  cancelled?: { reason: string; by: string };
  /** Skipped by a person (`order skip`): handled outside the engine (keyed in by hand); it is never raised. */
  skipped?: { reason: string; by: string };
  /** The content hash of the order as it was raised: a later change is reported, not applied. */
  raisedContentHash?: string;
  /** What arrived after the raise and was not applied (a change, a cancel), each reported to Stock2Shop. */
  notApplied?: string[];
  /** Times the source watch woke the order and its source still did not answer: the watch backs off. */
  futileWakes?: number;
  attempts: number;
  deliveries: Record<OrderDeliveryChannel, number>;
}

/**
 * One delivery of an order: which channel and, when the caller read the order, its content hash; never
 * the order itself (the workflow reads it from Stock2Shop, so only Stock2Shop's content reaches a
 * source). A delivery while the order waits for a fix re-reads the order, and a changed content starts
 * the next attempt. A delivery that carries more (as `order submit` once did) is read for its channel only.
 */
export interface OrderDelivery {
  via: OrderDeliveryChannel;
  contentHash?: string;
}

/** Every delivery of the order (webhook, poll, CLI) arrives as this signal; duplicates only count. */
export const orderDeliveredSignal = defineSignal<[OrderDelivery]>('orderDelivered');
export interface RetryAccepted {
  /** The attempt the retry starts. */
  attempt: number;
}

/**
 * A person fixed the cause (SKU, customer, credentials, settings): try again. An Update, so the caller
 * learns at once whether it was taken; one sent while the order is not waiting for a fix is refused
 * by the validator, with the reason, and leaves no trace in history.
 */
export const retryUpdate = defineUpdate<RetryAccepted>('retry');

export interface CancelRequest {
  /** Why, as a person says it: written back to Stock2Shop. */
  reason: string;
  /** Who: `--by`, else the OS user. */
  by: string;
}
/**
 * A person decided the order must not be raised: it ends as cancelled and Stock2Shop is told. Refused
 * (by the validator, leaving no trace) once the order is raised or while its raise is under way.
 */
export const cancelUpdate = defineUpdate<{ cancelled: true }, [CancelRequest]>('cancel');

/** Why the order was handled outside the engine, and who did it (`--by`, else the OS user). */
export type SkipRequest = CancelRequest;
/**
 * A person handled the order outside the engine (keyed it in by hand): it ends as skipped, Stock2Shop
 * is told (the skip of its queue item), and it is never raised. Taken only while the order waits (for
 * a fix, or for its source); refused by the validator, leaving no trace, once it is raised or while it
 * is being read or raised.
 */
export const skipUpdate = defineUpdate<{ skipped: true }, [SkipRequest]>('skip');
export const statusQuery = defineQuery<OrderStatus>('status');

export type ProductSyncState = 'starting' | 'syncing' | 'reconciling' | 'done';

export interface ProductSyncProgress extends ProductCounts {
  connectionId: string;
  state: ProductSyncState;
  pages: number;
  cursor: string | null;
  invalidRecords: InvalidRecord[];
}

export const progressQuery = defineQuery<ProductSyncProgress>('progress');

/** An order that found its source down asks the connection's source watch to wake it. */
export interface WaiterRegistration {
  workflowId: string;
  /** How often the watch woke this order already and its source still did not answer: the watch waits longer. */
  futileWakes?: number;
}
export const registerWaiterSignal = defineSignal<[WaiterRegistration]>('registerWaiter');
/** The source answers again: the waiting order tries now. */
export const sourceAvailableSignal = defineSignal('sourceAvailable');

// The workflows' inputs and results, for the clients that start them and the activities that read them.

/** Codes only: the order itself is read from Stock2Shop by `prepareOrder`. */
export interface RaiseOrderInput {
  connectionId: string;
  channelOrderCode: string;
  /** Set only by continue-as-new (patch 'order-continue-as-new'): where the order stands. */
  carried?: RaiseOrderCarry;
}

/** What a run hands the next when its history grows long: the order's state, and what it waits for. */
export interface RaiseOrderCarry {
  status: OrderStatus;
  attemptedHash?: string;
  createSentAt?: number;
  sourceLabel: string;
  deliveredSinceRead: boolean;
  retryRequested: boolean;
  waiting: { for: 'source'; windowEnd: number; sourceAvailable: boolean } | { for: 'fix'; deadline: number };
}

export interface WatchSourceInput {
  connectionId: string;
  /** Workflows waiting for the source, carried across continue-as-new. */
  waiters: string[];
  /** Of those, how often each was woken already while its source still did not answer (none: never). */
  futileWakes?: Record<string, number>;
}

export interface ProductSyncSummary extends ProductCounts {
  connectionId: string;
  sourceKind: string;
  full: boolean;
  pages: number;
  removed: number;
  removedCodes: string[];
  deactivated: number;
  invalidRecords: InvalidRecord[];
  /** Another pass of the connection was running: this one did nothing. */
  skippedFor?: string;
  /** One line for a person reading the Web UI. */
  summary: string;
}

/** `sync push`: these products now, whatever their stored hash, in a pass of their own. */
export interface PushProductsInput {
  connectionId: string;
  /** The SKUs (the source's product codes), each once. */
  codes: string[];
  /** While another pass of the connection runs: wait for it to end (true), or push nothing and say which (false). */
  waitForPass: boolean;
}

export interface PushProductsResult extends ProductCounts {
  connectionId: string;
  sourceKind: string;
  /** `refused`: another pass was running and the push was not asked to wait; nothing was read or pushed. */
  outcome: 'done' | 'refused';
  /** The pass that was running: the reason for a refusal, or the one waited for. */
  runningPass?: string;
  /** How long the push waited for other passes to end (ms). */
  waitedMs: number;
  pages: number;
  /** What became of each code found in the source, in the order they were asked for. */
  found: SelectedProduct[];
  /** The codes asked for that the source does not have. */
  notInSource: string[];
  invalidRecords: InvalidRecord[];
  /** One line for a person reading the Web UI. */
  summary: string;
}
