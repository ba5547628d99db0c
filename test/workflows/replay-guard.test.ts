/**
 * The replay guard works: the worked example of docs/versioning.md (re-read the order right before the
 * raise), built as the next release's bundle, fails replay of the committed corpus without `patched()`
 * and replays all of it with. A change that slips past `patched()` is caught here, not by an order
 * stuck in production.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeterminismViolationError } from '@temporalio/workflow';
import { loadHistoryCorpus, replayHistories } from '../helpers/replay';
import { rereadBeforeRaise, variantWorkflowBundle } from '../helpers/variant-bundle';

const corpus = loadHistoryCorpus();

test('an unguarded change to raiseOrder’s commands fails replay, naming the history and the event', async () => {
  const unguarded = await variantWorkflowBundle('reread-before-raise-unguarded', rereadBeforeRaise({ guarded: false }));
  const results = await replayHistories(unguarded, corpus);
  const failed = results.filter((r) => r.error);
  const orderHistories = corpus.filter((h) => h.history.events?.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'raiseInSource'));
  assert.ok(orderHistories.length > 0, 'the corpus holds orders that reached the raise');
  assert.deepEqual(
    failed.map((r) => r.name).sort(),
    orderHistories.map((h) => h.name).sort(),
    'every order history that reached the raise fails, and nothing else',
  );
  for (const { name, error } of failed) {
    assert.ok(error instanceof DeterminismViolationError, `${name}: ${String(error)}`);
    assert.match(error.message, /raiseInSource|prepareOrder/, `${name}: the message names the mismatching event`);
  }
});

test('the same change behind patched() replays every committed history', async () => {
  const guarded = await variantWorkflowBundle('reread-before-raise', rereadBeforeRaise({ guarded: true }));
  const failed = (await replayHistories(guarded, corpus)).filter((r) => r.error);
  assert.deepEqual(
    failed.map((r) => `${r.name}: ${r.error!.message}`),
    [],
  );
});
