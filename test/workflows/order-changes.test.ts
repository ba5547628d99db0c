/**
 * A change is never dropped: a corrected order announced while the order waits for its source is
 * raised as corrected (re-read before the create), and a change announced after the raise, while
 * the write-back is pending or after the order's workflow closed, is reported to Stock2Shop, as an
 * alert and in `cli problems`, never applied silently and never lost.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import { statusQuery, type OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, untilActivityPending, waitFor } from '../helpers/orders';
import { cliAgainst } from '../helpers/cli';

let env: TestWorkflowEnvironment;
let stack: Stack;
let workers: { stop(): Promise<void> } | undefined;
let cli: ReturnType<typeof cliAgainst>;

before(async () => {
  env = await startDevServer();
  stack = await startStack(env, {
    omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    omniConnection: { sourceProbeSeconds: 1 },
    guardTiming: { probeIntervalMs: 200 },
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
const documentsFor = (code: string) => stack.omni.orders().filter((d) => d.reference === code);
const kettles = (code: string, qty: number) => ({ ...makeOrder(code, [{ sku: 'KETTLE-01', qty, price: 304.34 }]), sources: [{ source_id: 101 }] });
/** Stock2Shop holds the corrected content, and announces it again (the webhook). */
async function correct(code: string, qty: number): Promise<void> {
  await stack.stock2shop.replaceOrder(kettles(code, qty));
  await stack.placeOrder(kettles(code, qty));
}

test('a corrected order announced while the order waits for its source is raised as corrected', async () => {
  const code = 'CH-1';
  await stack.omni.setOffline(true);
  try {
    await stack.placeOrder(kettles(code, 1));
    await waitFor(async () => ((await handleOf(code).query(statusQuery)).waitingForSource ? true : undefined), `${code} to wait for Omni`);
    await correct(code, 3);
  } finally {
    await stack.omni.setOffline(false);
  }
  const result = (await handleOf(code).result()) as OrderStatus;
  assert.equal(result.state, 'raised');
  const [document, ...more] = documentsFor(code);
  assert.equal(more.length, 0, 'one document');
  assert.equal(document!.order_lines.find((line) => line.stock_code === 'KETTLE-01')?.quantity, 3, 'the corrected quantity reached Omni');
});

test('a change announced while the write-back is pending is reported, not applied and not dropped', async () => {
  const code = 'CH-2';
  await stack.omni.setFaults({ latencyMs: 1000 });
  await stack.placeOrder(kettles(code, 1));
  await untilActivityPending(handleOf(code), 'raiseInSource', `${code} being raised`);
  // Stock2Shop refuses calls for a while: the raise's answer cannot be written back yet.
  await stack.stock2shop.setFaults({ errorRate: 1, status: 503 });
  await stack.omni.clearFaults();
  try {
    await waitFor(async () => ((await handleOf(code).query(statusQuery)).writeBackPending ? true : undefined), `${code}: write-back pending`);
    await stack.stock2shop.clearFaults();
    await correct(code, 5);
  } finally {
    await stack.stock2shop.clearFaults();
  }
  const result = (await handleOf(code).result()) as OrderStatus;
  assert.equal(result.state, 'raised');
  assert.equal(documentsFor(code)[0]!.order_lines.find((line) => line.stock_code === 'KETTLE-01')?.quantity, 1, 'Omni keeps what was raised');
  assert.match(result.notApplied?.join('\n') ?? '', new RegExp(`changed after it was raised as ${result.sourceOrderCode}; not applied`));
  const held = stack.stock2shop.order(code);
  assert.equal(held.source_order_code, result.sourceOrderCode);
  assert.match(held.failure_reason ?? '', /changed after it was raised as SO\d+; not applied/);
  const problems = await cli('problems', OMNI_CONNECTION_ID);
  assert.match(problems.lines.join('\n'), new RegExp(`${code}.*changed after it was raised`));
});

test('a change announced after the order closed is reported; a duplicate of the raised content is not', async () => {
  const code = 'CH-3';
  await stack.placeOrder(kettles(code, 1));
  const result = (await handleOf(code).result()) as OrderStatus;
  assert.equal(result.state, 'raised');
  // The same content announced again: nothing to report.
  assert.equal(await stack.placeOrder(kettles(code, 1)), 'already_raised');
  await correct(code, 2);
  const held = await waitFor(async () => {
    const order = stack.stock2shop.order(code);
    return order.failure_reason ? order : undefined;
  }, `${code}: the change reported to Stock2Shop`);
  assert.match(held.failure_reason ?? '', new RegExp(`changed after it was raised as ${result.sourceOrderCode}; not applied`));
  assert.equal(held.source_order_code, result.sourceOrderCode, 'still raised');
  assert.equal(documentsFor(code).length, 1, 'raised once');
  assert.equal(held.write_backs.filter((w) => w.kind === 'failure').length, 1, 'reported once: the duplicate announcement reported nothing');
  const problems = await cli('problems', OMNI_CONNECTION_ID);
  assert.match(problems.lines.join('\n'), new RegExp(`${code}.*changed after it was raised`));
});
