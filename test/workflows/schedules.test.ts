import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { ConnectionSchema, type Connection } from '../../domain';
import {
  applyConnectionSchedules,
  applySchedule,
  ORDER_POLL_INTERVAL_MINUTES,
  orderPollScheduleOptions,
  productSyncScheduleOptions,
  scheduleOffsetSeconds,
} from '../../client/schedules';
import { runCli } from '../../client/cli';
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
  assert.deepEqual(
    ids.filter((id) => id === 'product-sync/sched-omni'),
    ['product-sync/sched-omni'],
  );
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

/** The offset of the schedule's interval in seconds (options as built, or as Temporal describes it in ms). */
function offsetOf(options: ReturnType<typeof productSyncScheduleOptions>): number {
  const offset = options.spec.intervals?.[0]?.offset;
  const match = /^(\d+) seconds$/.exec(String(offset));
  assert.ok(match, `an offset in whole seconds, got ${String(offset)}`);
  return Number(match[1]);
}

test('the schedules of 500 connections are spread over their interval, each at a fixed phase within it', () => {
  const connections = Array.from({ length: 500 }, (_, i) => ({ ...connection, id: `client-${i + 1}` }));
  for (const [name, optionsOf, intervalSeconds] of [
    ['product sync', productSyncScheduleOptions, connection.syncIntervalMinutes * 60],
    ['order poll', orderPollScheduleOptions, ORDER_POLL_INTERVAL_MINUTES * 60],
  ] as const) {
    const offsets = connections.map((c) => offsetOf(optionsOf(c)));
    for (const offset of offsets)
      assert.ok(Number.isInteger(offset) && offset >= 0 && offset < intervalSeconds, `${name}: ${offset} s within ${intervalSeconds} s`);
    const perSecond = new Map<number, number>();
    for (const offset of offsets) perSecond.set(offset, (perSecond.get(offset) ?? 0) + 1);
    // 500 schedules in 180 (sync) or 300 (poll) one-second slots: most slots used, none crowded.
    assert.ok(perSecond.size >= intervalSeconds * 0.8, `${name}: ${perSecond.size} distinct start seconds of ${intervalSeconds}`);
    assert.ok(Math.max(...perSecond.values()) <= 10, `${name}: at most 10 schedules start in the same second (${Math.max(...perSecond.values())})`);
    // The same on every apply and every machine.
    assert.deepEqual(
      connections.map((c) => offsetOf(optionsOf(c))),
      offsets,
    );
  }
  // A connection's sync and poll have phases of their own; a longer interval spreads over all of it.
  const sameSecond = connections.filter((c) => offsetOf(productSyncScheduleOptions(c)) === offsetOf(orderPollScheduleOptions(c))).length;
  assert.ok(sameSecond < 10, `${sameSecond} connections start sync and poll in the same second`);
  const hourly = connections.map((c) => offsetOf(productSyncScheduleOptions({ ...c, syncIntervalMinutes: 60 })));
  assert.ok(hourly.every((offset) => offset < 3600) && Math.max(...hourly) > 3000, 'an hourly sync is spread over the hour');
  assert.equal(scheduleOffsetSeconds('product-sync/client-1', 3), offsetOf(productSyncScheduleOptions(connections[0]!)));
});

test('Temporal runs a schedule at its phase: every next action time is the interval plus the offset, with no jitter', async () => {
  const spread = { ...connection, id: 'sched-phase' };
  const options = productSyncScheduleOptions(spread);
  assert.equal(await applySchedule(env.client, options), 'created');
  const description = await env.client.schedule.getHandle(options.scheduleId).describe();
  const interval = description.spec.intervals?.[0];
  assert.equal(interval?.every, spread.syncIntervalMinutes * 60_000);
  assert.equal(interval?.offset, offsetOf(options) * 1000);
  assert.ok(!description.spec.jitter, 'no random delay after the nominal time');
  const next = description.info.nextActionTimes;
  assert.ok(next.length > 0);
  for (const time of next)
    assert.equal(time.getTime() % (spread.syncIntervalMinutes * 60_000), offsetOf(options) * 1000, `${time.toISOString()} is at the phase`);
  await env.client.schedule.getHandle(options.scheduleId).delete();
});

/** Runs the CLI against this file's dev server with `connections` configured. */
async function cli(connections: Connection[], ...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runCli(argv, { client: async () => env.client, connections: () => connections, out: (l) => lines.push(l) });
  return { code, lines };
}

async function exists(scheduleId: string): Promise<boolean> {
  try {
    await env.client.schedule.getHandle(scheduleId).describe();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

test('`cli schedules` deletes the schedules of a connection no longer configured, says so, and touches nothing else', async () => {
  const kept = { ...connection, id: 'prune-kept' };
  const gone = { ...connection, id: 'prune-gone' };
  // The schedules the earlier tests left stay configured here.
  const earlier = [connection, { ...connection, id: 'sched-paused' }];
  assert.deepEqual((await cli([kept, gone, ...earlier], 'schedules')).lines, [
    'prune-kept: product sync created, order poll created',
    'prune-gone: product sync created, order poll created',
    'sched-omni: product sync updated, order poll created',
    'sched-paused: product sync updated, order poll created',
  ]);
  // Schedules that are not the engine's: another id, and one of the engine's id shapes starting another workflow.
  const foreignAction = { type: 'startWorkflow' as const, workflowType: 'nightlyReport', taskQueue: 'reports', args: [] };
  await env.client.schedule.create({ scheduleId: 'nightly-report', spec: { intervals: [{ every: '1 day' }] }, action: foreignAction });
  await env.client.schedule.create({ scheduleId: 'product-sync/look-alike', spec: { intervals: [{ every: '1 day' }] }, action: foreignAction });
  // The schedule list is eventually consistent: prune once it shows them.
  await waitFor(async () => {
    const listed = await scheduleIds();
    return ['product-sync/prune-gone', 'order-poll/prune-gone', 'product-sync/look-alike'].every((id) => listed.includes(id)) ? true : undefined;
  }, 'the schedules to be listed');

  const { code, lines } = await cli([kept, ...earlier], 'schedules');
  assert.equal(code, 0);
  assert.deepEqual(lines, [
    'prune-kept: product sync updated, order poll updated',
    'sched-omni: product sync updated, order poll updated',
    'sched-paused: product sync updated, order poll updated',
    'order-poll/prune-gone: removed (connection prune-gone is no longer configured)',
    'product-sync/prune-gone: removed (connection prune-gone is no longer configured)',
  ]);
  assert.equal(await exists('product-sync/prune-gone'), false);
  assert.equal(await exists('order-poll/prune-gone'), false);
  for (const id of ['product-sync/prune-kept', 'order-poll/prune-kept', 'product-sync/sched-omni', 'nightly-report', 'product-sync/look-alike']) {
    assert.equal(await exists(id), true, `${id} is untouched`);
  }

  // --no-prune keeps them; a second run has nothing more to remove.
  await applySchedule(env.client, productSyncScheduleOptions(gone));
  await waitFor(async () => ((await scheduleIds()).includes('product-sync/prune-gone') ? true : undefined), 'the schedule to be listed again');
  assert.deepEqual(
    (await cli([kept, ...earlier], 'schedules', '--no-prune')).lines.filter((l) => /removed/.test(l)),
    [],
  );
  assert.equal(await exists('product-sync/prune-gone'), true);
  await env.client.schedule.getHandle('product-sync/prune-gone').delete();
});

test('a connection with create_order: false has no order poll: applying its schedules deletes the one it had, and says so', async () => {
  const raising = { ...connection, id: 'poll-off' };
  const off = ConnectionSchema.parse({ ...raising, settings: { ...raising.settings, create_order: false } });
  assert.equal(off.settings.create_order, false);
  assert.deepEqual(await applyConnectionSchedules(env.client, raising), { productSync: 'created', orderPoll: 'created' });
  assert.equal(await exists('order-poll/poll-off'), true);

  assert.deepEqual((await cli([off], 'schedules', '--no-prune')).lines, ['poll-off: product sync updated, order poll removed (create_order is off)']);
  assert.equal(await exists('order-poll/poll-off'), false);
  assert.equal(await exists('product-sync/poll-off'), true, 'the product sync stays');
  assert.deepEqual((await cli([off], 'schedules', '--no-prune')).lines, ['poll-off: product sync updated, no order poll (create_order is off)']);
  assert.deepEqual(await applyConnectionSchedules(env.client, off), { productSync: 'updated', orderPoll: undefined });

  // Switched on again, the poll comes back.
  assert.deepEqual((await cli([raising], 'schedules', '--no-prune')).lines, ['poll-off: product sync updated, order poll created']);
  assert.equal(await exists('order-poll/poll-off'), true);
});
