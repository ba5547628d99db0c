/**
 * The replay corpus (test/histories/*.json, recorded by `npm run histories:record`) and the replay of
 * histories against a workflow bundle: a change to workflow code that open runs could not survive
 * fails here, naming the history and the event, before it reaches a worker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { replayHistories as replayEngineHistories, type NamedHistory, type ReplayOutcome } from '../../worker/replay';
import { testDataConverter } from './temporal';

export type { History, ReplayOutcome };

/**
 * Every path `npm run histories:record` records, one file each (test/histories/<name>.json); the
 * replay test fails when one is missing. A new workflow path adds its name here.
 */
export const RECORDED_HISTORIES = [
  // Recorded before the patch 'product-pages-in-runs' (one page per activity); no longer recordable, kept for replay.
  'product-sync-continue-as-new-first-run',
  'product-sync-continue-as-new-continued-run',
  'product-sync-invalid-deleted-and-removed',
  // Behind it: several pages per activity.
  'product-sync-page-runs-continue-as-new-first-run',
  'product-sync-page-runs-continue-as-new-continued-run',
  'product-sync-page-runs-invalid-deleted-and-removed',
  'order-poll',
  // raiseOrder before the patch 'order-local-activities' (prepareOrder and the write-back as activity
  // tasks); no longer recordable, kept for replay. All but the last are from before 'order-state-search-attribute' too.
  'order-raised-at-once',
  'order-create-answer-lost-found-on-next-try',
  'order-needs-attention-retried-and-raised',
  'order-cancelled-while-waiting-for-fix',
  'order-waited-for-source-outage-and-raised',
  'order-not-raised-after-30-day-wait-for-fix',
  'order-state-needs-attention-retried-and-raised',
  // Behind it: the read and the write-back as local activities.
  'order-local-raised-at-once',
  'order-local-write-back-went-on-as-activity-task',
  'order-local-create-answer-lost-found-on-next-try',
  'order-local-needs-attention-retried-and-raised',
  'order-local-cancelled-while-waiting-for-fix',
  'order-local-waited-for-source-outage-and-raised',
  'order-local-not-raised-after-30-day-wait-for-fix',
  // watchSource before the patch 'wake-waiters-together' (one signal per workflow task); kept for replay.
  'source-watch-woke-waiting-order',
  // Behind it: the waiting orders signalled together.
  'source-watch-woke-waiting-orders-together',
  // The paths of "Orders never lie, part two" (each behind its patch).
  'order-delivery-while-waiting-for-fix',
  'order-read-went-on-as-activity-task',
  'order-window-ended-after-outage-retried',
  'order-already-raised-in-stock2shop',
  'order-not-found-cancelled-by-person',
  'order-invalid-corrected-and-raised',
  'order-create-unconfirmed-retried-and-found',
  'order-woken-in-vain-then-raised',
  'source-watch-backed-off-after-futile-wake',
  'order-cancelled-in-temporal-while-waiting-for-source',
  'order-terminated',
  'late-delivery-terminated-order-cancelled',
  'order-cancelled-in-stock2shop',
  'order-cancel-during-raise-not-applied',
  'order-corrected-while-waiting-for-source',
  'order-changed-while-write-back-pending',
  'late-delivery-change-reported',
  'order-continued-as-new-first-run',
  'order-continued-as-new-continued-run',
  'source-watch-continued-as-new-first-run',
  'source-watch-continued-as-new-continued-run',
  'order-retry-with-the-end-of-its-wait',
  'order-not-confirmed-after-30-day-wait',
  // For every patch, a run started on the code before it and finished on the code with it.
  'order-across-order-state-search-attribute',
  'order-across-order-local-activities',
  'order-across-order-cancels-and-changes',
  'order-across-order-continue-as-new',
  'order-across-honour-accepted-retry',
  'order-across-order-skip',
  'source-watch-across-wake-waiters-together',
  'source-watch-across-watch-waits-before-first-probe',
  'product-sync-across-product-pages-in-runs',
  // `order skip` (the `skip` Update, patch 'order-skip'): handled outside the engine, never raised.
  'order-skipped-while-waiting-for-fix',
  'order-skipped-while-waiting-for-source',
  'order-skipped-while-failure-written-back',
  // A confined agent: its calls through the Nexus endpoint of its client's namespace.
  'order-confined-raised-at-once',
  'order-confined-raised-quickly',
  'product-sync-confined',
  'order-confined-waited-for-source-outage-and-raised',
  'source-watch-confined-woke-waiting-order',
  // `sync push` (pushProducts): a one-off push of a few SKUs, through the pass claim.
  'product-push-confined-found-and-missing',
  'product-push-refused-for-running-pass',
  'product-push-isync-waited-for-pass',
] as const;

/** What each recorded history exercised that its events do not show: the queries asked of it, the patches it started before. */
export type HistoryManifest = Record<string, { workflowType: string; queries: string[]; startedBefore?: string[] }>;
export const HISTORY_MANIFEST_FILE = resolve(__dirname, '..', 'histories', 'manifest.json');

/** Where the committed corpus lives. */
export const HISTORY_CORPUS_DIR = resolve(__dirname, '..', 'histories');

/** A history of the corpus, named by its file name without `.json`. */
export type CorpusHistory = NamedHistory;

// The JSON form is the one `historyToJSON` writes and `historyFromJSON` reads (proto JSON, as the
// Temporal CLI and Web UI export it). In this install @temporalio/common and @temporalio/proto each
// hold their own copy of protobufjs 8 (the top-level protobufjs is grpc's 7.x), so those two
// functions throw "type must be a Type" (protojson of one copy, reflected types of the other). The
// fallback does exactly what they do, with the protojson of the copy @temporalio/proto's types come from.
type ProtoJson = {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): unknown;
};
let protoJsonOfProto: { protojson: ProtoJson; historyType: unknown } | undefined;
function sameCopyProtoJson(): { protojson: ProtoJson; historyType: unknown } {
  if (!protoJsonOfProto) {
    const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
    const historyType = (proto as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');
    protoJsonOfProto = { protojson, historyType };
  }
  return protoJsonOfProto;
}
const isSplitProtobufjs = (error: unknown) => error instanceof TypeError && /must be a Type/.test(error.message);

/** `historyToJSON` (pretty proto JSON text), working around a split protobufjs install. */
export function historyToJSONText(history: History): string {
  try {
    return historyToJSON(history);
  } catch (error) {
    if (!isSplitProtobufjs(error)) throw error;
    const { protojson, historyType } = sameCopyProtoJson();
    return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
  }
}

/** `historyFromJSON`, working around a split protobufjs install. */
export function historyFromJSONValue(json: unknown): History {
  try {
    return historyFromJSON(json);
  } catch (error) {
    if (!isSplitProtobufjs(error)) throw error;
    const { protojson, historyType } = sameCopyProtoJson();
    const loaded = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
    if (loaded === null || typeof loaded !== 'object') throw new TypeError('Invalid history');
    return loaded as History;
  }
}

/** Every `*.json` history of `dir`, sorted by name. */
export function loadHistoryCorpus(dir: string = HISTORY_CORPUS_DIR): CorpusHistory[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json') && file !== basename(HISTORY_MANIFEST_FILE))
    .sort()
    .map((file) => {
      const name = basename(file, '.json');
      let history: History;
      try {
        history = historyFromJSONValue(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      } catch (error) {
        throw new Error(`${file}: not a readable history: ${(error as Error).message}`);
      }
      // The started event names the workflow id (servers from 1.21); the time-skipping test server leaves it out.
      const workflowId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId || name;
      return { name, workflowId, history };
    });
}

/** Replays each history against `workflowBundle` with the tests' data converter (payloads are encrypted with the tests' key). */
export function replayHistories(workflowBundle: { codePath: string } | { code: string }, histories: NamedHistory[]): Promise<ReplayOutcome[]> {
  return replayEngineHistories(workflowBundle, histories, testDataConverter);
}
