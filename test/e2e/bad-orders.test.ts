/**
 * A corpus of broken and hostile orders held by Stock2Shop, announced by the signed webhook or found
 * by the poll: each is refused naming the order and the field, and the refusal reaches Stock2Shop
 * (the order's failure reason) and the order's workflow, where a person sees it. Nothing reaches
 * the source. A notification that names no usable order code starts nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { IntakeServer } from '../../client/intake';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { statusQuery } from '../../contracts/workflows';
import { DeliveredOrderCodeSchema, DomainValidationError, parseStock2ShopOrder } from '../../domain';
import { BAD_ORDERS } from '../fixtures/bad-orders';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, WEBHOOK_SECRETS, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/orders';
import { callWebhook, orderWebhookUrl, startSignedIntake } from '../helpers/webhook';

type RawOrder = { channel_order_code?: unknown };
const codeOf = (order: unknown) => (order as RawOrder).channel_order_code;
/** The field an order fails at once it has travelled as JSON (Infinity and NaN become null on the way). */
function fieldAfterJson(order: unknown): string | undefined {
  try {
    parseStock2ShopOrder(JSON.parse(JSON.stringify(order)));
    return undefined;
  } catch (error) {
    return error instanceof DomainValidationError ? error.field : undefined;
  }
}
/** Orders Stock2Shop can hold and list for source 101: a usable code, `sources` intact, still bad as JSON. */
const held = BAD_ORDERS.filter(
  (entry) =>
    typeof codeOf(entry.order) === 'string' &&
    /^BAD-\d+$/.test(codeOf(entry.order) as string) &&
    !entry.field.startsWith('sources') &&
    fieldAfterJson(entry.order) === entry.field,
);
/** Codes no notification can carry (missing, blank, 10 kB, not text); one the policy refuses is still delivered, and refused by its workflow. */
const withoutCode = BAD_ORDERS.filter((entry) => entry.field === 'channel_order_code' && !DeliveredOrderCodeSchema.safeParse(codeOf(entry.order)).success);

describe('a corpus of bad orders', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let intake: IntakeServer;
  let workers: { stop(): Promise<void> } | undefined;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [
        { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 },
        { STOCKCODE: 'TOASTER-02', DESCRIPTION: 'Toaster', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 299, OAvailable: 4 },
      ],
    });
    workers = await runBothWorkers(stack);
    intake = await startSignedIntake(env.client, stack);
  });
  after(async () => {
    await intake?.close();
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  test(`${held.length} bad orders, by webhook and by poll: each refused naming its field, and Stock2Shop told`, async () => {
    assert.ok(held.length >= 30, `at least 30 bad orders Stock2Shop can hold (${held.length})`);
    for (const entry of held) void stack.stock2shop.addOrder(entry.order as never);
    // Three are announced by the webhook; the poll finds the rest.
    for (const entry of held.slice(0, 3)) {
      const code = codeOf(entry.order) as string;
      const body = JSON.stringify({ instruction: 'add_order', source_id: 101, channel_order_code: code });
      assert.equal((await callWebhook(orderWebhookUrl(intake.url, 101), { body, secret: WEBHOOK_SECRETS['acme-omni'] })).status, 202);
    }
    await env.client.workflow.execute('pollOrders', {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: 'order-poll/bad-orders',
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });

    for (const entry of held) {
      const code = codeOf(entry.order) as string;
      const reason = await waitFor(
        async () => stack.stock2shop.order(code).failure_reason ?? undefined,
        `Stock2Shop to learn why ${code} (${entry.name}) was refused`,
      );
      assert.ok(reason.startsWith(`Order ${code}: ${entry.field}: `), `${entry.name}: Stock2Shop was told '${reason}'`);
      assert.ok(reason.length < 300, `${entry.name}: a short reason`);
      const status = await env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).query(statusQuery);
      assert.equal(status.state, 'needs_attention', entry.name);
      assert.equal(status.reason, reason);
    }
    assert.equal(stack.omni.orders().length, 0, 'nothing reached the source');
  });

  test('a notification that names no usable order code is refused (400) and starts nothing', async () => {
    for (const entry of withoutCode) {
      const body = JSON.stringify({ instruction: 'add_order', source_id: 101, order: entry.order });
      const answer = await callWebhook(orderWebhookUrl(intake.url, 101), { body, secret: WEBHOOK_SECRETS['acme-omni'] });
      assert.equal(answer.status, 400, entry.name);
    }
    assert.equal((await env.client.workflow.count(`WorkflowType = 'raiseOrder' AND ChannelOrderCode = ''`)).count, 0);
  });
});
