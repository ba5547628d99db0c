/**
 * The replay corpus reaches everything the workflow code can do to an open run: every patch (with a
 * run started before it and finished after it), every signal and update handler (as the events of
 * some history), every query handler (asked of some recorded run: a query leaves no event), and every
 * activity type a workflow calls. A new patch, handler or activity without a recorded history fails
 * here, naming it; `npm run histories:record -- <new-name>` records one (test/histories/README.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createActivities, type ActivityDeps } from '../../activities';
import { patchesInWorkflows, workflowTypeFiles } from '../../worker/patch-sites';
import { HISTORY_MANIFEST_FILE, loadHistoryCorpus, type CorpusHistory, type HistoryManifest } from '../helpers/replay';
import { activitySteps, patchIdsOf } from '../helpers/history-reading';

const workflowsDir = resolve(__dirname, '..', '..', 'workflows');
const definitionsFile = resolve(__dirname, '..', '..', 'contracts', 'workflows.ts');
const corpus = loadHistoryCorpus();
const manifest = (existsSync(HISTORY_MANIFEST_FILE) ? JSON.parse(readFileSync(HISTORY_MANIFEST_FILE, 'utf8')) : {}) as HistoryManifest;
const typeOf = (entry: CorpusHistory) => entry.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
const sourceOf = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');

/** Each handler the workflow code sets: its kind (signal, update, query), its name, and the workflow types that set it. */
function handlersInWorkflows(): { kind: 'Signal' | 'Update' | 'Query'; name: string; types: string[] }[] {
  const definitions = sourceOf(definitionsFile);
  const defined = new Map<string, { kind: 'Signal' | 'Update' | 'Query'; name: string }>();
  for (const match of definitions.matchAll(/export const (\w+) = define(Signal|Update|Query)\b[^(]*\(\s*'([^']+)'/g)) {
    defined.set(match[1]!, { kind: match[2] as 'Signal' | 'Update' | 'Query', name: match[3]! });
  }
  const byName = new Map<string, { kind: 'Signal' | 'Update' | 'Query'; name: string; types: string[] }>();
  for (const { type, file } of workflowTypeFiles()) {
    for (const match of sourceOf(file).matchAll(/setHandler\(\s*(\w+)/g)) {
      const handler = defined.get(match[1]!);
      assert.ok(handler, `${file}: setHandler(${match[1]}) of no definition in contracts/workflows.ts`);
      const entry = byName.get(handler.name) ?? { ...handler, types: [] };
      if (!entry.types.includes(type)) entry.types.push(type);
      byName.set(handler.name, entry);
    }
  }
  return [...byName.values()];
}

/** The activity types a workflow can call: the activities' names that the workflow code names. */
function activityTypesInWorkflows(): string[] {
  const stub = { connections: () => [], secretsOf: () => ({}), stock2shopFor: () => ({}), productStore: {} } as unknown as ActivityDeps;
  const code = readdirSync(workflowsDir)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => sourceOf(join(workflowsDir, file)))
    .join('\n');
  return Object.keys(createActivities(stub)).filter((name) => new RegExp(`\\b${name}\\b`).test(code));
}

test('every patch of the workflow code is taken in a recorded history, and one recorded run started before it', () => {
  const patches = patchesInWorkflows();
  for (const id of ['order-local-activities', 'order-cancels-and-changes', 'watch-waits-before-first-probe', 'product-pages-in-runs']) {
    assert.ok(
      patches.some((patch) => patch.id === id),
      `the patch ${id} is found in workflows/`,
    );
  }
  const taken = new Set(corpus.flatMap((entry) => patchIdsOf(entry.history)));
  const spanned = new Set(
    Object.entries(manifest).flatMap(([name, entry]) =>
      existsSync(join(resolve(__dirname, '..', 'histories'), `${name}.json`)) ? (entry.startedBefore ?? []) : [],
    ),
  );
  assert.deepEqual(
    patches.filter((patch) => !taken.has(patch.id)).map((patch) => patch.id),
    [],
    'patches no committed history takes',
  );
  assert.deepEqual(
    patches.filter((patch) => !spanned.has(patch.id)).map((patch) => patch.id),
    [],
    'patches with no recorded run started before them and finished after them',
  );
});

test('every signal and update handler is reached by a recorded history, every query asked of a recorded run', () => {
  const handlers = handlersInWorkflows();
  assert.ok(handlers.some((h) => h.kind === 'Query'));
  const missing: string[] = [];
  for (const { kind, name, types } of handlers) {
    for (const type of types) {
      const histories = corpus.filter((entry) => typeOf(entry) === type);
      const reached =
        kind === 'Query'
          ? Object.values(manifest).some((entry) => entry.workflowType === type && entry.queries.includes(name))
          : histories.some((entry) =>
              (entry.history.events ?? []).some((event) =>
                kind === 'Signal'
                  ? event.workflowExecutionSignaledEventAttributes?.signalName === name
                  : event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === name,
              ),
            );
      if (!reached) missing.push(`${kind.toLowerCase()} '${name}' of ${type}`);
    }
  }
  assert.deepEqual(missing, [], 'handlers no committed history reaches');
});

test('every activity type a workflow calls is called in a recorded history', () => {
  const types = activityTypesInWorkflows();
  assert.ok(types.includes('raiseInSource') && types.includes('prepareOrder'), types.join(', '));
  const called = new Set(corpus.flatMap((entry) => activitySteps(entry.history).map((step) => step.type)));
  assert.deepEqual(
    types.filter((type) => !called.has(type)),
    [],
    'activity types no committed history calls',
  );
});
