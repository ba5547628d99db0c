/**
 * A deploy or a restart stops a worker with SIGTERM: its in-flight activities get
 * WORKER_SHUTDOWN_GRACE_SECONDS to finish; one that cannot is handed back and finished by the next
 * worker. Either way the order is raised once. Real dev server, the agent as its own OS process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { raiseOrderWorkflowId } from '../../domain';
import { statusQuery, type OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runCentralWorker, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, untilActivityPending } from '../helpers/orders';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };

let env: TestWorkflowEnvironment;
let stack: Stack;
let stopCentral: (() => Promise<void>) | undefined;

before(async () => {
  env = await startDevServer();
  stack = await startStack(env, { omniItems: [KETTLE], omniConnection: { createCommitDelaySeconds: 1 } });
  stopCentral = (await runCentralWorker(stack)).stop;
});
after(async () => {
  await stopCentral?.();
  await stack?.close();
  await env?.teardown();
});

const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
const documentsFor = (code: string) => stack.omni.orders().filter((d: { reference: string }) => d.reference === code);

/** Places the order and waits until the agent has started raising it in Omni. */
async function raiseInFlight(code: string): Promise<void> {
  await stack.placeOrder(makeOrder(code, [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
  await untilActivityPending(
    handleOf(code),
    'raiseInSource',
    `order ${code} being raised`,
    (raising) => raising.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
  );
}

async function terminate(agent: WorkerProcess): Promise<number | null> {
  const exited = once(agent.child, 'exit') as Promise<[number | null]>;
  agent.child.kill('SIGTERM');
  return (await exited)[0];
}

function raiseAttempts(events: temporal.api.history.v1.IHistoryEvent[]): number[] {
  const raiseIds = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'raiseInSource').map((e) => String(e.eventId)));
  return events
    .filter((e) => e.activityTaskStartedEventAttributes && raiseIds.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)))
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
}

test('SIGTERM while an order is being raised: the raise finishes within the grace time, then the agent exits cleanly', async () => {
  await stack.omni.setFaults({ latencyMs: 1200 });
  const agent = stack.spawnWorker('agent', { WORKER_SHUTDOWN_GRACE_SECONDS: '60' });
  try {
    await raiseInFlight('GRACE-1');
    const code = await terminate(agent);
    assert.equal(code, 0, `the agent exits cleanly:\n${agent.output()}`);
    assert.equal(documentsFor('GRACE-1').length, 1, 'the raise in flight finished before the agent exited');
  } finally {
    await stack.omni.clearFaults();
    await agent.kill();
  }
  const status = (await handleOf('GRACE-1').result()) as OrderStatus;
  assert.equal(status.state, 'raised');
  assert.deepEqual(raiseAttempts((await handleOf('GRACE-1').fetchHistory()).events ?? []), [1], 'raised by the first attempt: nothing was handed back');
});

test('SIGTERM with a raise that outlasts the grace time: it is handed back, and the next agent raises the order once', async () => {
  await stack.omni.setFaults({ latencyMs: 4000 });
  const first = stack.spawnWorker('agent', { WORKER_SHUTDOWN_GRACE_SECONDS: '1' });
  let second: WorkerProcess | undefined;
  try {
    await raiseInFlight('GRACE-2');
    const code = await terminate(first);
    assert.equal(code, 0, `the agent exits cleanly:\n${first.output()}`);
    assert.equal((await handleOf('GRACE-2').query(statusQuery)).state, 'raising', 'not raised yet when the agent left');
    await stack.omni.clearFaults();
    second = stack.spawnWorker('agent');
    const status = (await handleOf('GRACE-2').result()) as OrderStatus;
    assert.equal(status.state, 'raised');
  } finally {
    await stack.omni.clearFaults();
    await first.kill();
    await second?.kill();
  }
  assert.equal(documentsFor('GRACE-2').length, 1, 'raised once, by whichever attempt reached Omni');
  const attempts = raiseAttempts((await handleOf('GRACE-2').fetchHistory()).events ?? []);
  assert.ok(attempts.length === 1 && attempts[0]! >= 2, `the raise was handed back and retried (attempt ${attempts.join(', ')})`);
});
