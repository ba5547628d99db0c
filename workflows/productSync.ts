import {
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InvalidRecord, ProductCounts, SyncProductPageResult } from '../activities/contracts';
import { CENTRAL_TASK_QUEUE } from '../domain/connection';
import { progressQuery, type ProductSyncState } from './definitions';
import { describeSyncSummary } from './summaries';
import { ConnectionIdKey, SourceKindKey } from './search-attributes';

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

export interface ProductSyncSummary extends ProductCounts {
  connectionId: string;
  sourceKind: string;
  full: boolean;
  pages: number;
  removed: number;
  removedCodes: string[];
  deactivated: number;
  invalidRecords: InvalidRecord[];
  /** One line for a person reading the Web UI. */
  summary: string;
}

/** Keeps each run's history small; the pass carries on in a new run with its cursor and counts. */
export const MAX_PAGES_PER_RUN = 100;
/** The summary lists this many bad records; the count covers them all. */
export const MAX_LISTED_INVALID_RECORDS = 100;

const { describeConnection } = proxyActivities<Activities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['UnknownConnectionError'] },
});

function sourceActivities(taskQueue: string) {
  return proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '20 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      // An unreachable source is retried for as long as it takes, at most every 5 minutes; the
      // schedule's overlap policy skips further runs meanwhile, and the pass resumes from its cursor.
      maximumInterval: '5 minutes',
      nonRetryableErrorTypes: ['AuthenticationError', 'MissingCredentialsError', 'UnknownConnectionError'],
    },
  });
}

const emptyCounts = (): ProductCounts => ({ listed: 0, pushed: 0, unchanged: 0, deleted: 0, ignored: 0, invalid: 0 });

function addCounts(total: ProductCounts, page: SyncProductPageResult): ProductCounts {
  return {
    listed: total.listed + page.listed,
    pushed: total.pushed + page.pushed,
    unchanged: total.unchanged + page.unchanged,
    deleted: total.deleted + page.deleted,
    ignored: total.ignored + page.ignored,
    invalid: total.invalid + page.invalid,
  };
}

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

  const profile = await describeConnection(connectionId);
  upsertSearchAttributes([
    { key: ConnectionIdKey, value: connectionId },
    { key: SourceKindKey, value: profile.sourceKind },
  ]);
  const { syncProductPage, reconcileRemovedProducts } = sourceActivities(profile.taskQueue);

  state = 'syncing';
  let pagesThisRun = 0;
  do {
    setCurrentDetails(`Syncing page ${pages + 1} of ${connectionId} (${counts.listed} records read so far)`);
    const page = await syncProductPage({ connectionId, cursor, full, passId: carried.passId });
    pages += 1;
    pagesThisRun += 1;
    counts = addCounts(counts, page);
    invalidRecords = [...invalidRecords, ...page.invalidRecords].slice(0, MAX_LISTED_INVALID_RECORDS);
    cursor = page.nextCursor;
    if (cursor !== null && (pagesThisRun >= MAX_PAGES_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      return continueAsNew<typeof productSync>({
        connectionId,
        full,
        carried: { ...carried, cursor, pages, counts, invalidRecords },
      });
    }
  } while (cursor !== null);

  state = 'reconciling';
  const removal = await reconcileRemovedProducts({ connectionId, passId: carried.passId });
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
