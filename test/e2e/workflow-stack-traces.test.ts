/**
 * A deployed central worker (started as docs/deploy.md starts it, with worker/workflow-threads.cjs)
 * runs its workflows without the SDK's per-promise stack traces: the Web UI's "Stack Trace" tab of a
 * waiting order answers that they are not enabled on this worker, and makes up nothing. WORKFLOW_STACK_TRACES=on brings them back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { engineDataConverter } from '../../temporal/data-converter';
import { raiseOrderWorkflowId } from '../../domain';
import type { OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { clientKeyRings } from '../helpers/client-keys';
import { OMNI_CONNECTION_ID, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

describe('workflow stack traces in a deployed central worker', () => {
  const keys = clientKeyRings();
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let central: WorkerProcess | undefined;
  let agent: WorkerProcess | undefined;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    });
    agent = stack.spawnWorker('agent', keys.agentEnv);
  });
  after(async () => {
    await central?.kill();
    await agent?.kill();
    await stack?.close();
    await env?.teardown();
  });

  test('off by default (the order still says where it stands); on with WORKFLOW_STACK_TRACES=on', async () => {
    central = stack.spawnWorker('central', keys.centralEnv);
    await stack.placeOrder(makeOrder('WEB-TRACE-1', [{ sku: 'NOT-IN-OMNI-7', qty: 1, price: 10 }]));
    const engine = new Client({ connection: env.client.connection, namespace: env.namespace ?? 'default', dataConverter: engineDataConverter(keys.rings) });
    const handle = engine.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-TRACE-1'));
    await waitFor(async () => ((await handle.query<OrderStatus>('status')).state === 'needs_attention' ? true : undefined), 'the order to wait for a fix');
    // The SDK's own answer for a worker without them ("Workflow stack traces are not enabled on this worker"; its words encoded, as every failure's).
    await assert.rejects(handle.query<string>('__stack_trace'), 'no stack trace recorded, and none made up');
    assert.doesNotMatch(central.output(), /the workflow threads record a stack trace/, 'no advice: it runs as deployed');
    await central.kill();

    central = stack.spawnWorker('central', { ...keys.centralEnv, WORKFLOW_STACK_TRACES: 'on' });
    // The new worker replays the order to answer: its promises are tracked again.
    const trace = await waitFor(async () => {
      const text = await handle.query<string>('__stack_trace').catch(() => '');
      return text.includes('raiseOrder') ? text : undefined;
    }, 'a stack trace from the worker with WORKFLOW_STACK_TRACES=on');
    assert.match(trace, /waitForFixOrCorrection/);
  });
});
