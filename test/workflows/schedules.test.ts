import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { ConnectionSchema } from '../../domain';
import { applySchedule, productSyncScheduleOptions } from '../../client/schedules';
import { startDevServer } from '../helpers/temporal';
import { waitFor } from '../helpers/orders';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
});

const connection = ConnectionSchema.parse({
  id: 'sched-omni',
  name: 'Schedule test',
  sourceKind: 'omni',
  endpoint: 'http://127.0.0.1:1',
  credentialsRef: {
    databaseName: 'X_DB',
    companyName: 'X_COMPANY',
    databaseUser: 'X_DB_USER',
    databasePassword: 'X_DB_PASSWORD',
    omniUser: 'X_USER',
    omniPassword: 'X_PASSWORD',
  },
  stock2shop: { sourceId: 9, credentialsRef: { token: 'S2S_TOKEN' } },
});

async function scheduleIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const schedule of env.client.schedule.list()) ids.push(schedule.scheduleId);
  return ids;
}

test('a product sync schedule created twice exists once, with the connection interval and overlap skip', async () => {
  assert.equal(await applySchedule(env.client, productSyncScheduleOptions(connection)), 'created');
  assert.equal(await applySchedule(env.client, productSyncScheduleOptions({ ...connection, syncIntervalMinutes: 5 })), 'updated');
  // The list is eventually consistent: wait until it shows the schedule.
  const ids = await waitFor(async () => {
    const listed = await scheduleIds();
    return listed.includes('product-sync/sched-omni') ? listed : undefined;
  }, 'the schedule to be listed');
  assert.deepEqual(ids.filter((id) => id === 'product-sync/sched-omni'), ['product-sync/sched-omni']);
  const description = await env.client.schedule.getHandle('product-sync/sched-omni').describe();
  assert.equal(description.spec.intervals?.[0]?.every, 5 * 60_000);
  assert.equal(description.policies.overlap, ScheduleOverlapPolicy.SKIP);
  assert.equal(description.policies.catchupWindow, 10 * 60_000);
});

test('a paused schedule starts nothing, and keeps its pause when applied again', async () => {
  const options = productSyncScheduleOptions({ ...connection, id: 'sched-paused' });
  await applySchedule(env.client, { ...options, spec: { intervals: [{ every: '1 second' }] } });
  const handle = env.client.schedule.getHandle(options.scheduleId);
  await handle.pause('test');
  const actionsWhenPaused = (await handle.describe()).info.numActionsTaken;
  await applySchedule(env.client, { ...options, spec: { intervals: [{ every: '1 second' }] } });
  await new Promise((resolve) => setTimeout(resolve, 3500));
  const described = await handle.describe();
  assert.equal(described.state.paused, true, 'applying the configuration again keeps the pause');
  assert.equal(described.info.numActionsTaken, actionsWhenPaused, 'no workflow started while paused');

  await handle.unpause('test');
  await waitFor(async () => ((await handle.describe()).info.numActionsTaken > actionsWhenPaused ? true : undefined), 'a run after unpause', 10_000);
});
