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
  // A run continued as new resumes past the first read, so only runs that began with it meet the change.
  const orderHistories = corpus.filter(
    (h) =>
      !h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId &&
      h.history.events?.some(
        // On the source's queue, or through a confined agent's endpoint.
        (e) =>
          e.activityTaskScheduledEventAttributes?.activityType?.name === 'raiseInSource' ||
          e.nexusOperationScheduledEventAttributes?.operation === 'raiseInSource',
      ),
  );
  assert.ok(orderHistories.length > 0, 'the corpus holds orders that reached the raise');
  assert.deepEqual(
    failed.map((r) => r.name).sort(),
    orderHistories.map((h) => h.name).sort(),
    'every order history that reached the raise fails, and nothing else',
  );
  for (const { name, error } of failed) {
    assert.ok(error instanceof DeterminismViolationError, `${name}: ${String(error)}`);
    assert.match(error.message, /raiseInSource|prepareOrder|ActivityTaskScheduled|NexusOperationScheduled/, `${name}: the message names the mismatching event`);
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

test('an unguarded debounce (a 2 s sleep before the re-read of a delivered correction) fails replay of the re-read path', async () => {
  const debounce = await variantWorkflowBundle('debounce-before-reread-unguarded', [
    {
      file: 'workflows/raiseOrder.ts',
      find: '      const previousHash = this.attemptedHash;',
      replace: "      await sleep('2 seconds');\n      const previousHash = this.attemptedHash;",
    },
    { file: 'workflows/raiseOrder.ts', find: '  log,\n', replace: '  log,\n  sleep,\n' },
  ]);
  const results = await replayHistories(debounce, corpus);
  const failed = results.filter((r) => r.error).map((r) => r.name);
  assert.ok(failed.includes('order-delivery-while-waiting-for-fix'), `the re-read path fails: ${failed.join(', ')}`);
  for (const name of failed) assert.ok(results.find((r) => r.name === name)!.error instanceof DeterminismViolationError, name);
});
