/**
 * `sync push`: a few products pushed now, whatever their stored hash, in a one-off pass. It takes the
 * connection's pass claim first, as every pass does, so it never overlaps a scheduled or manual pass:
 * while one runs it waits for it to end, or pushes nothing and says which (`waitForPass`).
 *
 * The sources list products by page only, with no lookup by code, so the push reads the catalog from
 * the start until it has found every code (or reached the end), through the same page runs as a pass
 * (`syncProductPages` with `onlyCodes`: on the agent for Omni, on the iSync queue for iSync).
 */
import { ApplicationFailure, proxyActivities, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  addCounts,
  emptyCounts,
  MAX_LISTED_INVALID_RECORDS,
  NEEDS_ATTENTION_ERROR_TYPES,
  namesItsStep,
  pageFailurePrefix,
  type InvalidRecord,
  type ProductCounts,
  type SelectedProduct,
  type SyncProductPagesResult,
} from '../contracts/activities';
import type { PushProductsInput, PushProductsResult } from '../contracts/workflows';
import { CENTRAL_TASK_QUEUE } from '../domain/task-queues';
import { catalogCalls } from './agent-calls';
import { causeMessage } from './failures';

const { describeConnection, otherRunningPass } = proxyActivities<Activities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES] },
});

/** How often a waiting push asks again whether the running pass has ended: from 2 s, doubling, at most every 30 s. */
const FIRST_WAIT_MS = 2_000;
const LONGEST_WAIT_MS = 30_000;
/** Pages one activity reads before reporting back, as a pass's (PAGES_PER_ACTIVITY of productSync). */
const PAGES_PER_ACTIVITY = 10;

export async function pushProducts(input: PushProductsInput): Promise<PushProductsResult> {
  const { connectionId, codes } = input;
  const { workflowId, runId } = workflowInfo();
  const [profile, first] = await Promise.all([describeConnection(connectionId), otherRunningPass({ connectionId, workflowId })]);
  const base = { connectionId, sourceKind: profile.sourceKind, pages: 0, ...emptyCounts(), found: [], notInSource: [], invalidRecords: [] };
  const waitFrom = Date.now();
  let running = first;
  let waitedFor: string | undefined;
  for (let wait = FIRST_WAIT_MS; running; wait = Math.min(wait * 2, LONGEST_WAIT_MS)) {
    const waitedMs = waitedFor ? Date.now() - waitFrom : 0;
    if (!input.waitForPass || waitedMs >= profile.passTimeoutMinutes * 60_000) {
      const waited = waitedFor ? ` (waited ${Math.round(waitedMs / 1000)} s)` : '';
      const summary = `${connectionId}: push: nothing pushed, pass ${running} is running${waited}`;
      setCurrentDetails(summary);
      return { ...base, outcome: 'refused', runningPass: running, waitedMs, summary };
    }
    waitedFor = running;
    setCurrentDetails(`Waiting for pass ${running} of ${connectionId} to end, then pushing ${codes.length} product(s)`);
    await sleep(wait);
    running = await otherRunningPass({ connectionId, workflowId });
  }
  const waitedMs = waitedFor ? Date.now() - waitFrom : 0;

  const { syncProductPages } = catalogCalls(profile);
  let cursor: string | null = null;
  let pages = 0;
  let counts: ProductCounts = emptyCounts();
  let invalidRecords: InvalidRecord[] = [];
  const found: SelectedProduct[] = [];
  do {
    const remaining = codes.filter((code) => !found.some((f) => f.code === code));
    setCurrentDetails(`Looking for ${remaining.length} product(s) of ${connectionId} from page ${pages + 1} (${counts.listed} records read so far)`);
    const from: string | null = cursor;
    const done: SyncProductPagesResult = await syncProductPages({
      connectionId,
      cursor: from,
      full: false,
      passId: runId,
      maxPages: PAGES_PER_ACTIVITY,
      firstPage: pages + 1,
      onlyCodes: remaining,
    }).catch((error: unknown) => failPush(connectionId, pageFailurePrefix(pages + 1, from), error));
    // An agent of a release before one-off pushes ignores `onlyCodes`: it answers without `selected`.
    if (!done.selected)
      failPush(connectionId, '', new Error(`the agent of ${connectionId} is of an older release that cannot push single products: upgrade it`));
    found.push(...done.selected.filter((s) => !found.some((f) => f.code === s.code)));
    pages += done.pages;
    counts = addCounts(counts, done);
    invalidRecords = [...invalidRecords, ...done.invalidRecords].slice(0, MAX_LISTED_INVALID_RECORDS);
    cursor = done.nextCursor;
  } while (cursor !== null && found.length < codes.length);

  const notInSource = codes.filter((code) => !found.some((f) => f.code === code));
  found.sort((a, b) => codes.indexOf(a.code) - codes.indexOf(b.code));
  const summary = describePush(connectionId, codes.length, found, notInSource, counts.listed, waitedFor);
  setCurrentDetails(summary);
  return {
    ...base,
    ...counts,
    outcome: 'done',
    ...(waitedFor ? { runningPass: waitedFor } : {}),
    waitedMs,
    pages,
    found,
    notInSource,
    invalidRecords,
    summary,
  };
}

function describePush(connectionId: string, asked: number, found: SelectedProduct[], notInSource: string[], read: number, waitedFor?: string): string {
  const of = (outcome: SelectedProduct['outcome']) => found.filter((f) => f.outcome === outcome).map((f) => f.code);
  const parts = [
    `${of('pushed').length} of ${asked} pushed`,
    ...(of('sent_as_deleted').length ? [`${of('sent_as_deleted').length} sent as deleted`] : []),
    ...(of('ignored').length ? [`${of('ignored').length} ignored (marked IGNORE in the source)`] : []),
    ...(of('invalid').length ? [`${of('invalid').length} invalid`] : []),
    ...(notInSource.length ? [`not in the source: ${notInSource.join(', ')}`] : []),
  ];
  const waited = waitedFor ? `, after pass ${waitedFor} ended` : '';
  return `${connectionId}: push: ${parts.join(', ')} (${read.toLocaleString('en-US')} records read to find them${waited})`;
}

/** Ends the push as failed, for a person: `failed` starts the reason, unless the cause names its step already. */
function failPush(connectionId: string, failed: string, error: unknown): never {
  const cause = error instanceof Error ? causeMessage(error) : String(error);
  const reason = namesItsStep(cause) ? cause : failed + cause;
  setCurrentDetails(`Failed: ${reason}`);
  throw ApplicationFailure.create({ type: 'ProductPushFailed', message: `Product push of ${connectionId}: ${reason}`, nonRetryable: true });
}
