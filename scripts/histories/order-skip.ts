/**
 * The skip of an order handled outside the engine (`order skip`, the `skip` Update, patch
 * 'order-skip'): while it waits for a fix, while it waits for its source, while its failure is still
 * being written back (the skip is told after it), and a run started on the code before the patch.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { skipUpdate, type OrderStatus } from '../../contracts/workflows';
import { sourceWatchWorkflowId } from '../../domain';
import { startDevServer } from '../../test/helpers/temporal';
import { OMNI_CONNECTION_ID, type Stack } from '../../test/helpers/stack';
import { untilActivityPending, waitFor } from '../../test/helpers/orders';
import { activityStepNames, patchIdsOf } from '../../test/helpers/history-reading';
import { codeBefore, orderHelpers, recording, save, withEngine, type PhaseWorkers } from './recording';
import { ghost, kettles, ORDER_PATHS_STACK } from './order-paths';

const BY_HAND = { reason: 'keyed in by hand as SO-MANUAL-1', by: 'ana' };

export async function recordSkipPaths(): Promise<void> {
  const env = await startDevServer();
  await withEngine(env, ORDER_PATHS_STACK, async (stack, workers) => {
    await skippedWhileWaitingForFix(env, stack);
    await skippedWhileWaitingForSource(env, stack);
    await skippedWhileFailureWrittenBack(env, stack);
    await skippedAcrossThePatch(env, stack, workers);
  });
}

/** The run ended as skipped: nothing raised, and Stock2Shop was told last. */
async function skipped(env: TestWorkflowEnvironment, stack: Stack, code: string): Promise<void> {
  const { handleOf, documentsFor } = orderHelpers(env, stack);
  const result = (await handleOf(code).result()) as OrderStatus;
  assert.equal(result.state, 'skipped', `${code} skipped`);
  assert.deepEqual(result.skipped, BY_HAND);
  assert.equal(documentsFor(code).length, 0, `${code}: nothing in the source`);
  assert.match(stack.stock2shop.order(code).cancelled_reason ?? '', /^skipped by ana: keyed in by hand/, `${code}: Stock2Shop told`);
  assert.ok(patchIdsOf(await handleOf(code).fetchHistory()).includes('order-skip'), `${code}: took order-skip`);
}

async function skippedWhileWaitingForFix(env: TestWorkflowEnvironment, stack: Stack): Promise<void> {
  const { handleOf, untilWaitingForFix } = orderHelpers(env, stack);
  recording.step = 'an order skipped while it waits for a fix';
  await stack.placeOrder(ghost('SK-FIX-1', 'NEVER-SK'));
  await untilWaitingForFix('SK-FIX-1');
  assert.deepEqual(await handleOf('SK-FIX-1').executeUpdate(skipUpdate, { args: [BY_HAND] }), { skipped: true });
  await skipped(env, stack, 'SK-FIX-1');
  await save('order-skipped-while-waiting-for-fix', handleOf('SK-FIX-1'));
}

async function skippedWhileWaitingForSource(env: TestWorkflowEnvironment, stack: Stack): Promise<void> {
  const { handleOf, untilWaitingForSource } = orderHelpers(env, stack);
  recording.step = 'an order skipped while it waits for its source';
  await stack.omni.setOffline(true);
  try {
    await stack.placeOrder(kettles('SK-SOURCE-1'));
    await untilWaitingForSource('SK-SOURCE-1');
    // Waiting in its condition, after it asked the source watch to wake it.
    await waitFor(
      async () => (((await handleOf('SK-SOURCE-1').describe()).raw.pendingActivities?.length ?? 0) === 0 ? true : undefined),
      'no activity pending',
    );
    await handleOf('SK-SOURCE-1').executeUpdate(skipUpdate, { args: [BY_HAND] });
    await skipped(env, stack, 'SK-SOURCE-1');
  } finally {
    await stack.omni.setOffline(false);
  }
  // The watch finds the source back and ends (the skipped order it would wake is closed).
  await env.client.workflow.getHandle(sourceWatchWorkflowId(OMNI_CONNECTION_ID)).result();
  await save('order-skipped-while-waiting-for-source', handleOf('SK-SOURCE-1'));
}

async function skippedWhileFailureWrittenBack(env: TestWorkflowEnvironment, stack: Stack): Promise<void> {
  const { handleOf, until } = orderHelpers(env, stack);
  recording.step = 'an order skipped while its failure is being written back';
  const code = 'SK-WRITING-1';
  await stack.stock2shop.setFaults({ resetRequestsMatching: [`/${code}/failure`] });
  try {
    await stack.placeOrder(ghost(code, 'NEVER-SK'));
    await until(code, 'needs attention', (s) => s.state === 'needs_attention');
    await untilActivityPending(handleOf(code), 'writeBackOrderFailure', `the failure of ${code} being written back`);
    await handleOf(code).executeUpdate(skipUpdate, { args: [BY_HAND] });
  } finally {
    await stack.stock2shop.clearFaults();
  }
  await skipped(env, stack, code);
  assert.deepEqual(activityStepNames(await handleOf(code).fetchHistory()), [
    'prepareOrder (local)',
    'raiseInSource',
    'writeBackOrderFailure',
    'writeBackOrderCancelled',
  ]);
  await save('order-skipped-while-failure-written-back', handleOf(code));
}

async function skippedAcrossThePatch(env: TestWorkflowEnvironment, stack: Stack, workers: PhaseWorkers): Promise<void> {
  const { handleOf, untilWaitingForFix } = orderHelpers(env, stack);
  recording.step = 'an order across order-skip';
  const code = 'AX-SKIP-1';
  await workers.switchCentral(await codeBefore('order-skip'));
  await stack.placeOrder(ghost(code, 'NEVER-AX-SKIP'));
  await untilWaitingForFix(code);
  await workers.switchCentral();
  await handleOf(code).executeUpdate(skipUpdate, { args: [BY_HAND] });
  await skipped(env, stack, code);
  await save('order-across-order-skip', handleOf(code), { startedBefore: ['order-skip'] });
}
