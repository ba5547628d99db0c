/**
 * Every committed history (test/histories/*.json) replays with the current workflow code, bundled
 * as production workers bundle it: a change that open runs of those shapes could not survive
 * (a command added, removed or reordered) fails here, naming the history file and the event.
 *
 * A failing replay is never fixed by re-recording the history (see test/histories/README.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import * as workflows from '../../workflows';
import { cachedWorkflowBundle } from '../../worker/workflow-bundle';
import { failureConverterPath } from '../../temporal/data-converter';
import { HISTORY_CORPUS_DIR, loadHistoryCorpus, RECORDED_HISTORIES, replayHistories, type CorpusHistory } from '../helpers/replay';

// The replay worker's lifecycle lines drown the test's output; warnings (a failing replay) and errors stay.
Runtime.install({ logger: new DefaultLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });

const REQUIRED_HISTORIES = RECORDED_HISTORIES;

const CLOSING_EVENTS = [
  'workflowExecutionCompletedEventAttributes',
  'workflowExecutionFailedEventAttributes',
  'workflowExecutionCanceledEventAttributes',
  'workflowExecutionContinuedAsNewEventAttributes',
  'workflowExecutionTerminatedEventAttributes',
  'workflowExecutionTimedOutEventAttributes',
] as const;

const workflowTypeOf = (entry: CorpusHistory) => entry.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

test('the replay corpus holds every required history, each non-empty and closed', () => {
  const missing = REQUIRED_HISTORIES.filter((name) => !existsSync(join(HISTORY_CORPUS_DIR, `${name}.json`)));
  assert.deepEqual(missing, [], `histories missing from test/histories/ (run \`npm run histories:record\`): ${missing.join(', ')}`);
  const corpus = loadHistoryCorpus();
  for (const entry of corpus) {
    const events = entry.history.events ?? [];
    assert.ok(events.length > 0, `${entry.name}.json: an empty history`);
    assert.ok(workflowTypeOf(entry), `${entry.name}.json: the first event is not a workflow start`);
    const last = events[events.length - 1]!;
    assert.ok(
      CLOSING_EVENTS.some((attributes) => last[attributes]),
      `${entry.name}.json: the run is not closed (last event ${last.eventId}: ${last.eventType})`,
    );
  }
});

test('the replay corpus covers every workflow type of workflows/index.ts', () => {
  const exported = Object.entries(workflows)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name)
    .sort();
  for (const expected of ['pollOrders', 'productSync', 'raiseOrder', 'watchSource']) assert.ok(exported.includes(expected), expected);
  const covered = new Set(loadHistoryCorpus().map(workflowTypeOf));
  const uncovered = exported.filter((type) => !covered.has(type));
  assert.deepEqual(uncovered, [], `workflow types with no history in test/histories/: ${uncovered.join(', ')}`);
});

test('every committed history replays with the current workflow code', async (t) => {
  const corpus = loadHistoryCorpus();
  assert.ok(corpus.length >= REQUIRED_HISTORIES.length, `only ${corpus.length} histories in test/histories/`);
  const bundle = await cachedWorkflowBundle(require.resolve('../../workflows'), failureConverterPath);
  const results = await replayHistories(bundle, corpus);
  assert.equal(results.length, corpus.length);
  const failures = results.filter((result) => result.error).map((result) => `${result.name}.json: ${result.error!.name}: ${result.error!.message}`);
  t.diagnostic(`${results.length} histories replayed, ${failures.length} failed`);
  assert.deepEqual(failures, [], `histories that no longer replay with the current workflow code:\n${failures.join('\n')}`);
});
