/**
 * Only Stock2Shop's content reaches a source. Someone with write access to the namespace (and no key,
 * or even with it) signals `orderDelivered` with an order of their own:
 *  - a plaintext signal-with-start for a code Stock2Shop does not hold raises nothing; the run ends
 *    refused, the worker logs a security event, and the real order of that code is raised later as usual;
 *  - a plaintext signal to an order waiting for a fix is dropped: the run goes on (not wedged), its
 *    deliveries do not count it, and a retry still raises it as Stock2Shop holds it;
 *  - an encrypted delivery carrying an order (what `order submit <file>` once sent) raises the order as
 *    Stock2Shop holds it, never the content of the signal.
 * The workers run as their own processes, so the log lines are the ones an operator reads.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, type WorkflowExecutionStatusName, type WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { retryUpdate, type OrderStatus } from '../../contracts/workflows';
import { startDevServer, testDataConverter } from '../helpers/temporal';
import { replayHistories } from '../helpers/replay';
import { engineWorkflowBundle } from '../../worker/workers';
import { OMNI_CONNECTION_ID, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

interface Document {
  reference: string;
  order_lines: { stock_code: string; quantity: number }[];
}

describe('forged deliveries', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let central: WorkerProcess;
  let agent: WorkerProcess;
  /** A client as anyone with the namespace's address has it: no payload codec. */
  let plain: Client;
  const documentsFor = (code: string) => (stack.omni.orders() as Document[]).filter((d) => d.reference === code);
  const forgedOrder = (code: string) => ({
    ...makeOrder(code, [{ sku: 'KETTLE-01', qty: 999, price: 1 }]),
    customer: { email: 'mallory@example.com', first_name: 'Mallory' },
  });
  /** The run the forged start made (it failed refused), for the replay below. */
  let forgedRunId = '';
  const statusOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).query<OrderStatus>('status');

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    });
    central = stack.spawnWorker('central', { LOG_LEVEL: 'INFO' });
    agent = stack.spawnWorker('agent', { LOG_LEVEL: 'INFO' });
    plain = new Client({ connection: env.client.connection, namespace: env.namespace ?? 'default' });
  });
  after(async () => {
    await central?.kill();
    await agent?.kill();
    await stack?.close();
    await env?.teardown();
  });

  test('a plaintext signal-with-start of an order Stock2Shop does not hold raises nothing and is logged', async () => {
    const handle = await plain.workflow.signalWithStart('raiseOrder', {
      workflowId: raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'FORGED-1'),
      taskQueue: CENTRAL_TASK_QUEUE,
      args: [{ connectionId: OMNI_CONNECTION_ID, channelOrderCode: 'FORGED-1' }],
      signal: 'orderDelivered',
      signalArgs: [{ via: 'webhook', submittedOrder: forgedOrder('FORGED-1') }],
    });
    const closed = await waitFor(async () => {
      const { status } = await handle.describe();
      return status.name === 'RUNNING' ? undefined : status.name;
    }, 'the forged run to end');
    assert.equal(closed satisfies WorkflowExecutionStatusName, 'FAILED');
    forgedRunId = (await handle.describe()).runId;
    await assert.rejects(env.client.workflow.getHandle(handle.workflowId).result(), (error: WorkflowFailedError) =>
      /refused a payload that was not encrypted/.test(error.cause?.message ?? ''),
    );
    assert.deepEqual(documentsFor('FORGED-1'), []);
    assert.match(central.output(), /security: refused a payload that was not encrypted/);
    // The forged run took the order's id and failed: once Stock2Shop announces that order, it is raised all the same.
    await stack.placeOrder(makeOrder('FORGED-1', [{ sku: 'KETTLE-01', qty: 1, price: 349.99 }]));
    await waitFor(async () => ((await statusOf('FORGED-1')).state === 'raised' ? true : undefined), 'the real FORGED-1 to be raised');
    assert.deepEqual(
      documentsFor('FORGED-1').map((d) => d.order_lines.map((line) => [line.stock_code, line.quantity])),
      [[['KETTLE-01', 1]]],
    );
  });

  test('a plaintext signal to an order waiting for a fix is dropped, and the order is raised as Stock2Shop holds it', async () => {
    await stack.placeOrder(makeOrder('WEB-WAIT-1', [{ sku: 'FAN-99', qty: 1, price: 100 }]));
    await waitFor(async () => ((await statusOf('WEB-WAIT-1')).state === 'needs_attention' ? true : undefined), 'the order to need a fix');
    const before = await statusOf('WEB-WAIT-1');
    const handle = plain.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-WAIT-1'));
    await handle.signal('orderDelivered', { via: 'webhook', submittedOrder: forgedOrder('WEB-WAIT-1') });
    // Still answering queries and taking updates: the run is not wedged on the forged signal.
    await waitFor(async () => (/refused a payload that was not encrypted/.test(central.output()) ? true : undefined), 'the refusal in the log');
    const after = await statusOf('WEB-WAIT-1');
    assert.deepEqual(after.deliveries, before.deliveries);
    stack.omni.addItem({ STOCKCODE: 'FAN-99', DESCRIPTION: 'Fan', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 100, OAvailable: 3 });
    await env.client.workflow.getHandle(handle.workflowId).executeUpdate(retryUpdate);
    await waitFor(async () => ((await statusOf('WEB-WAIT-1')).state === 'raised' ? true : undefined), 'the order to be raised');
    assert.deepEqual(
      documentsFor('WEB-WAIT-1').map((d) => d.order_lines.map((line) => [line.stock_code, line.quantity])),
      [[['FAN-99', 1]]],
    );
  });

  test('an encrypted delivery carrying an order raises what Stock2Shop holds, not what the signal carried', async () => {
    void stack.stock2shop.addOrder({ ...makeOrder('WEB-REAL-1', [{ sku: 'KETTLE-01', qty: 1, price: 349.99 }]), sources: [{ source_id: 101 }] });
    await env.client.workflow.signalWithStart('raiseOrder', {
      workflowId: raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-REAL-1'),
      taskQueue: CENTRAL_TASK_QUEUE,
      args: [{ connectionId: OMNI_CONNECTION_ID, channelOrderCode: 'WEB-REAL-1' }],
      signal: 'orderDelivered',
      signalArgs: [{ via: 'cli', submittedOrder: forgedOrder('WEB-REAL-1') }],
    });
    await waitFor(async () => ((await statusOf('WEB-REAL-1')).state === 'raised' ? true : undefined), 'the order to be raised');
    assert.deepEqual(
      documentsFor('WEB-REAL-1').map((d) => d.order_lines.map((line) => [line.stock_code, line.quantity])),
      [[['KETTLE-01', 1]]],
    );
    assert.match(central.output(), /security: .*WEB-REAL-1.*carried an order/);
  });

  test('the refusals replay: a forged start that failed, a run that dropped a forged signal and went on', async () => {
    const bundle = await engineWorkflowBundle(testDataConverter, { versioned: false });
    const histories = await Promise.all(
      [
        ['FORGED-1', forgedRunId],
        ['WEB-WAIT-1', undefined],
      ].map(async ([code, runId]) => {
        const workflowId = raiseOrderWorkflowId(OMNI_CONNECTION_ID, code!);
        return { name: code!, workflowId, history: await env.client.workflow.getHandle(workflowId, runId).fetchHistory() };
      }),
    );
    assert.ok(forgedRunId);
    assert.deepEqual(await replayHistories(bundle, histories), [{ name: 'FORGED-1' }, { name: 'WEB-WAIT-1' }]);
  });
});
