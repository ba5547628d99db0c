/**
 * A cancel sticks: an order cancelled with `order cancel`, from the Web UI (a cancel request) or
 * terminated there ends as cancelled, Stock2Shop is told, and neither the poll nor the webhook raises
 * it again, even once its cause is fixed. A cancel is refused for an order that is raised.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { pollOrders } from '../../workflows';
import { statusQuery, type OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { cliAgainst } from '../helpers/cli';

let env: TestWorkflowEnvironment;
let stack: Stack;
let workers: { stop(): Promise<void> } | undefined;
let cli: ReturnType<typeof cliAgainst>;

before(async () => {
  env = await startDevServer();
  stack = await startStack(env, {
    omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
  });
  workers = await runBothWorkers(stack);
  cli = cliAgainst(env, stack);
});
after(async () => {
  await workers?.stop();
  await stack?.close();
  await env?.teardown();
});

const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
const documentsFor = (code: string) => stack.omni.orders().filter((d: { reference: string }) => d.reference === code);
const ghostOrder = (code: string, sku: string) => makeOrder(code, [{ sku, qty: 1, price: 10 }]);

async function waitingForFix(code: string): Promise<void> {
  await waitFor(async () => ((await handleOf(code).query(statusQuery)).state === 'needs_attention' ? true : undefined), `${code} to need attention`);
  await waitFor(async () => stack.stock2shop.order(code).failure_reason ?? undefined, `${code}'s failure written back`);
}

/** The poll runs, the webhook announces the order again, and neither raises it. */
async function deliveredAgainEverywhere(code: string): Promise<void> {
  await env.client.workflow.execute(pollOrders, {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: `order-poll/${OMNI_CONNECTION_ID}/after-${code}`,
    args: [{ connectionId: OMNI_CONNECTION_ID }],
  });
  assert.equal(await stack.placeOrder(ghostOrder(code, 'unused')), 'cancelled', `${code}: the webhook's delivery is refused as cancelled`);
}

for (const [how, cancel] of [
  [
    'order cancel (the CLI)',
    async (code: string) => assert.equal((await cli('order', 'cancel', OMNI_CONNECTION_ID, code, '--reason', 'customer phoned', '--by', 'ops')).code, 0),
  ],
  ['a cancel request (the Web UI)', (code: string) => handleOf(code).cancel()],
  ['terminate (the Web UI)', (code: string) => handleOf(code).terminate('duplicate of WEB-7')],
] as const) {
  test(`an order cancelled by ${how} stays cancelled: Stock2Shop is told, the poll and the webhook never raise it`, async () => {
    const code = `CX-${how
      .split(' ')[0]!
      .toUpperCase()
      .replace(/[^A-Z]/g, '')}`;
    const sku = `LATER-${code}`;
    await stack.placeOrder(ghostOrder(code, sku));
    await waitingForFix(code);
    await cancel(code);
    await waitFor(async () => ((await handleOf(code).describe()).status.name !== 'RUNNING' ? true : undefined), `${code} to close`);
    // The cause is fixed: a new run would now raise it.
    stack.omni.addItem({ STOCKCODE: sku, DESCRIPTION: 'Arrived later', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 5 });
    await deliveredAgainEverywhere(code);
    const held = await waitFor(async () => {
      const order = stack.stock2shop.order(code);
      return order.cancelled_reason ? order : undefined;
    }, `${code}: the cancel written back to Stock2Shop`);
    assert.match(held.cancelled_reason ?? '', how.startsWith('order cancel') ? /cancelled by ops: customer phoned/ : /cancel|terminated/);
    assert.equal(held.failure_reason, null);
    assert.equal(held.source_order_code, null);
    // Once more after the write-back: still nothing.
    await deliveredAgainEverywhere(code);
    assert.equal(documentsFor(code).length, 0, `${code} never reached Omni`);
    const { status } = await handleOf(code).describe();
    if (how.startsWith('order cancel')) {
      assert.equal(status.name, 'COMPLETED');
      const result = (await handleOf(code).result()) as OrderStatus;
      assert.equal(result.state, 'cancelled');
      assert.deepEqual(result.cancelled, { reason: 'customer phoned', by: 'ops' });
    } else {
      assert.equal(status.name, how.startsWith('terminate') ? 'TERMINATED' : 'CANCELLED');
    }
  });
}

test('a cancel is refused, saying why, for an order that is raised; and for one nobody delivered', async () => {
  await stack.placeOrder(makeOrder('CX-RAISED', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
  const raised = (await handleOf('CX-RAISED').result()) as OrderStatus;
  const refused = await cli('order', 'cancel', OMNI_CONNECTION_ID, 'CX-RAISED', '--reason', 'too late');
  assert.equal(refused.code, 2);
  assert.match(refused.lines.join('\n'), new RegExp(`already raised as ${raised.sourceOrderCode}; cancel it in the source by hand`));
  const unknown = await cli('order', 'cancel', OMNI_CONNECTION_ID, 'CX-NEVER', '--reason', 'nothing');
  assert.equal(unknown.code, 2);
  assert.match(unknown.lines.join('\n'), /No order CX-NEVER has been delivered/);
});
