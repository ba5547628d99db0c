/**
 * Moving a deployment to a namespace per client. An order of acme-omni is open on the layout before
 * (its raise waits on the agent's old queue in the central namespace, the agent being off); then the
 * connection names `agent`, its namespace and endpoint are made, and the agent comes back confined,
 * draining its old queue beside (AGENT_LEGACY_NAMESPACE). The open order finishes the old way, a new
 * one goes the new way, each raised once; both histories replay on this code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { agentPlacement, ConnectionSchema, raiseOrderWorkflowId } from '../../domain';
import type { OrderStatus } from '../../contracts/workflows';
import { setupClientNamespace } from '../../client/client-namespaces';
import { createAgentWorker, engineWorkflowBundle } from '../../worker/workers';
import { verifyKeyFromEnv } from '../../temporal/agent-grant';
import { startDevServer, testDataConverter } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, startStack, type Stack } from '../helpers/stack';
import { makeOrder, untilActivityPending } from '../helpers/orders';
import { replayHistories } from '../helpers/replay';

describe('moving an Omni client to its own namespace', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  const running: { worker: Worker; done: Promise<void> }[] = [];
  const run = (worker: Worker) => running.push({ worker, done: worker.run() });

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    });
    run(await stack.startCentralWorker());
  });
  after(async () => {
    for (const { worker } of running) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.allSettled(running.map(({ done }) => done));
    await stack?.close();
    await env?.teardown();
  });

  test('the open order finishes on the old queue, the new one through the endpoint, each raised once', async () => {
    const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
    await stack.placeOrder(makeOrder('WEB-MOVE-1', [{ sku: 'KETTLE-01', qty: 1, price: 349.99 }]));
    await untilActivityPending(handleOf('WEB-MOVE-1'), 'raiseInSource', 'the old-layout raise to wait on the old queue');

    // The move: the connection names its agent's namespace (the activities read it from here), which `clients add` makes.
    const index = stack.connections.findIndex((c) => c.id === OMNI_CONNECTION_ID);
    stack.connections[index] = ConnectionSchema.parse({ ...stack.connections[index], agent: {} });
    await setupClientNamespace(env.connection, agentPlacement(stack.connections[index]!)!, { retentionDays: 1 });
    const setup = { connection: env.nativeConnection, deps: stack.deps, dataConverter: testDataConverter };
    const verifyKey = verifyKeyFromEnv({ AGENT_GRANT_VERIFY_KEY: stack.grantKeys.verifyKey })!;
    run(await createAgentWorker(setup, OMNI_CONNECTION_ID, { verifyKey }));
    run(await createAgentWorker({ ...setup, namespace: env.namespace ?? 'default' }, OMNI_CONNECTION_ID, { legacyQueue: true }));

    await stack.placeOrder(makeOrder('WEB-MOVE-2', [{ sku: 'KETTLE-01', qty: 2, price: 349.99 }]));
    for (const code of ['WEB-MOVE-1', 'WEB-MOVE-2']) {
      const result = (await handleOf(code).result()) as OrderStatus;
      assert.equal(result.state, 'raised', `${code}: ${JSON.stringify(result)}`);
    }
    assert.deepEqual(
      stack.omni
        .orders()
        .map((d: { reference: string }) => d.reference)
        .sort(),
      ['WEB-MOVE-1', 'WEB-MOVE-2'],
    );

    const [old, moved] = await Promise.all(['WEB-MOVE-1', 'WEB-MOVE-2'].map((code) => handleOf(code).fetchHistory()));
    const raiseActivities = (history: typeof old) =>
      (history!.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'raiseInSource').length;
    const raiseOperations = (history: typeof old) =>
      (history!.events ?? []).filter((e) => e.nexusOperationScheduledEventAttributes?.operation === 'raiseInSource').length;
    assert.deepEqual([raiseActivities(old), raiseOperations(old)], [1, 0], 'the open order: its raise on the old queue');
    assert.deepEqual([raiseActivities(moved), raiseOperations(moved)], [0, 1], 'the new order: through the endpoint');

    const bundle = await engineWorkflowBundle(testDataConverter, { versioned: false });
    const outcomes = await replayHistories(bundle, [
      { name: 'old', workflowId: raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-MOVE-1'), history: old! },
      { name: 'moved', workflowId: raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-MOVE-2'), history: moved! },
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => [outcome.name, outcome.error?.message]),
      [
        ['old', undefined],
        ['moved', undefined],
      ],
    );
  });
});
