/**
 * A manual pass and a scheduled one that start together, on the real dev server: exactly one of them
 * runs the pass and the other is skipped, naming it, however their checks interleave. The workers are
 * stopped while both are started, so both checks run at once when the worker comes up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, manualProductSyncWorkflowId, productSyncScheduleId } from '../../domain';
import { applyConnectionSchedules } from '../../client/schedules';
import type { ProductSyncSummary } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { waitFor } from '../helpers/orders';
import { ISYNC_CONNECTION_ID, startStack, withWorkers, type Stack } from '../helpers/stack';

const RACES = 3;

describe('a manual and a scheduled pass that start together', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { isyncItems: 6 });
    const connection = stack.connections.find((c) => c.id === ISYNC_CONNECTION_ID)!;
    await applyConnectionSchedules(env.client, connection, { orderPoll: false });
    // Only the passes the test triggers: the hourly action must not start one of its own meanwhile.
    await env.client.schedule.getHandle(productSyncScheduleId(ISYNC_CONNECTION_ID)).pause('pass-overlap test: triggered passes only');
  });
  after(async () => {
    await stack?.close();
    await env?.teardown();
  });

  /** Triggers the schedule and answers the workflow id of the pass it started, once the schedule lists it as running. */
  async function triggerScheduledPass(): Promise<string> {
    const schedule = env.client.schedule.getHandle(productSyncScheduleId(ISYNC_CONNECTION_ID));
    const before = (await schedule.describe()).info.numActionsTaken;
    // With the schedule's own overlap policy, as its timed actions start: so it lists the pass as running
    // (a trigger with the SDK's default policy, allow-all, is never listed among its running actions).
    await schedule.trigger(ScheduleOverlapPolicy.SKIP);
    return waitFor(async () => {
      const { info } = await schedule.describe();
      const started = info.numActionsTaken > before ? info.recentActions.at(-1)?.action.workflow.workflowId : undefined;
      return started && info.runningActions.some((action) => action.workflow.workflowId === started) ? started : undefined;
    }, 'the scheduled pass to be running');
  }

  test(`exactly one goes ahead and the other is skipped naming it, ${RACES} times over`, async () => {
    const manualId = manualProductSyncWorkflowId(ISYNC_CONNECTION_ID);
    for (let race = 1; race <= RACES; race++) {
      const scheduledId = await triggerScheduledPass();
      const manual = await env.client.workflow.start('productSync', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: manualId,
        args: [{ connectionId: ISYNC_CONNECTION_ID }],
      });
      const summaries = await withWorkers([await stack.startCentralWorker()], () =>
        Promise.all([env.client.workflow.getHandle(scheduledId).result() as Promise<ProductSyncSummary>, manual.result() as Promise<ProductSyncSummary>]),
      );
      const byId = new Map([
        [scheduledId, summaries[0]],
        [manualId, summaries[1]],
      ]);
      const ran = [...byId].filter(([, summary]) => summary.skippedFor === undefined).map(([id]) => id);
      assert.equal(ran.length, 1, `race ${race}: exactly one pass ran; the summaries: ${summaries.map((s) => s.summary).join(' | ')}`);
      const winner = ran[0]!;
      const loser = winner === manualId ? scheduledId : manualId;
      assert.equal(byId.get(loser)!.skippedFor, winner, `race ${race}: the skipped pass names the one that ran`);
      assert.equal(byId.get(loser)!.summary, `${ISYNC_CONNECTION_ID}: skipped, pass ${winner} is running`);
      assert.equal(byId.get(winner)!.listed, 6, `race ${race}: the pass that ran read the whole catalog`);
    }
  });
});
