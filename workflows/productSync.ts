import {
  ApplicationFailure,
  continueAsNew,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  addCounts,
  emptyCounts,
  MAX_LISTED_INVALID_RECORDS,
  NEEDS_ATTENTION_ERROR_TYPES,
  namesItsStep,
  pageFailurePrefix,
  REMOVED_PRODUCTS_FAILURE_PREFIX,
  type ReconcileRemovedResult,
  type InvalidRecord,
  type ProductCounts,
  type SyncProductPagesResult,
} from '../contracts/activities';
import { causeMessage } from './failures';
import { catalogCalls } from './agent-calls';
import { CENTRAL_TASK_QUEUE } from '../domain/task-queues';
import { progressQuery, type ProductSyncState, type ProductSyncSummary } from '../contracts/workflows';
import { describeSyncSummary } from './summaries';
import { ConnectionIdKey, SourceKindKey } from '../contracts/search-attributes';

export interface ProductSyncInput {
  connectionId: string;
  /** Push every record, changed or not. */
  full?: boolean;
  /** Set only by continue-as-new: where the pass stands. */
  carried?: ProductSyncCarry;
}

interface ProductSyncCarry {
  passId: string;
  cursor: string | null;
  pages: number;
  counts: ProductCounts;
  invalidRecords: InvalidRecord[];
  startedAt: number;
}

/** Keeps each run's history small; the pass carries on in a new run with its cursor and counts. */
export const MAX_PAGES_PER_RUN = 100;
/**
 * Pages one activity works through before reporting back (it also stops after about 20 s): one round
 * trip through the server carries them all, and each page is listed while the one before is pushed.
 */
export const PAGES_PER_ACTIVITY = 10;

const { describeConnection, otherRunningPass } = proxyActivities<Activities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES] },
});

/** One pass over a connection's catalog: source → Stock2Shop, one activity call per page. */
export async function productSync(input: ProductSyncInput): Promise<ProductSyncSummary> {
  const { connectionId } = input;
  const full = input.full ?? false;
  const carried: ProductSyncCarry = input.carried ?? {
    passId: workflowInfo().runId,
    cursor: null,
    pages: 0,
    counts: emptyCounts(),
    invalidRecords: [],
    startedAt: Date.now(),
  };
  let state: ProductSyncState = 'starting';
  let { cursor, pages, counts, invalidRecords } = carried;

  setHandler(progressQuery, () => ({ connectionId, state, pages, cursor, invalidRecords, ...counts }));

  // A manual pass and a scheduled one must not overlap: each would see only part of the catalog.
  // Asked alongside the connection's profile, so a pass pays no extra round trip for it.
  const [profile, other] = await Promise.all([
    describeConnection(connectionId),
    input.carried ? null : otherRunningPass({ connectionId, workflowId: workflowInfo().workflowId }),
  ]);
  if (other) {
    const skipped = skippedPass(connectionId, profile.sourceKind, full, other);
    setCurrentDetails(skipped.summary);
    return skipped;
  }
  upsertSearchAttributes([
    { key: ConnectionIdKey, value: connectionId },
    { key: SourceKindKey, value: profile.sourceKind },
  ]);
  const { syncProductPage, syncProductPages, reconcileRemovedProducts } = catalogCalls(profile);
  /** `failed` starts the reason ("page 3 (after cursor 2000) failed: "), unless the cause's message names the page already. */
  const failPass = (failed: string, error: unknown): never => failedPass(connectionId, failed, error);

  state = 'syncing';
  // Runs started before this change went one page per activity; their histories replay that way.
  const pagesInRuns = patched('product-pages-in-runs');
  let pagesThisRun = 0;
  /** Done by the last run of pages, at the catalog's end. */
  let removedByPages: ReconcileRemovedResult | undefined;
  do {
    const from = cursor;
    const maxPages = pagesInRuns ? Math.min(PAGES_PER_ACTIVITY, MAX_PAGES_PER_RUN - pagesThisRun) : 1;
    setCurrentDetails(`Syncing ${maxPages > 1 ? 'from ' : ''}page ${pages + 1} of ${connectionId} (${counts.listed} records read so far)`);
    const input = { connectionId, cursor: from, full, passId: carried.passId };
    const done = await (
      pagesInRuns
        ? syncProductPages({ ...input, maxPages, firstPage: pages + 1, reconcileAtEnd: true })
        : syncProductPage(input).then((page): SyncProductPagesResult => ({ ...page, pages: 1 }))
    ).catch((error: unknown) => failPass(pageFailurePrefix(pages + 1, from), error));
    pages += done.pages;
    pagesThisRun += done.pages;
    counts = addCounts(counts, done);
    invalidRecords = [...invalidRecords, ...done.invalidRecords].slice(0, MAX_LISTED_INVALID_RECORDS);
    cursor = done.nextCursor;
    removedByPages = done.removal;
    if (cursor !== null && (pagesThisRun >= MAX_PAGES_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      return continueAsNew<typeof productSync>({
        connectionId,
        full,
        carried: { ...carried, cursor, pages, counts, invalidRecords },
      });
    }
  } while (cursor !== null);

  state = 'reconciling';
  const removal =
    removedByPages ??
    (await reconcileRemovedProducts({ connectionId, passId: carried.passId }).catch((error: unknown) => failPass(REMOVED_PRODUCTS_FAILURE_PREFIX, error)));
  state = 'done';
  const result: Omit<ProductSyncSummary, 'summary'> = {
    connectionId,
    sourceKind: profile.sourceKind,
    full,
    pages,
    ...counts,
    ...removal,
    invalidRecords,
  };
  const summary = describeSyncSummary(result);
  setCurrentDetails(summary);
  return { ...result, summary };
}

/** The summary of a pass that did nothing: another pass of the connection was running. */
function skippedPass(connectionId: string, sourceKind: string, full: boolean, other: string): ProductSyncSummary {
  return {
    connectionId,
    sourceKind,
    full,
    pages: 0,
    ...emptyCounts(),
    removed: 0,
    removedCodes: [],
    deactivated: 0,
    invalidRecords: [],
    skippedFor: other,
    summary: `${connectionId}: skipped, pass ${other} is running`,
  };
}

/** Ends the pass as failed, for a person: `failed` starts the reason, unless the cause names its step already. */
function failedPass(connectionId: string, failed: string, error: unknown): never {
  const cause = error instanceof Error ? causeMessage(error) : String(error);
  const reason = namesItsStep(cause) ? cause : failed + cause;
  setCurrentDetails(`Failed: ${reason}`);
  throw ApplicationFailure.create({ type: 'ProductPassFailed', message: `Product sync of ${connectionId}: ${reason}`, nonRetryable: true });
}
