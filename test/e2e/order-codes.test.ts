/**
 * Order codes that could disguise an order or escape a path (issue 23, item 7): Stock2Shop holds an
 * order whose code carries a right-to-left override (U+202E), one whose code is `../x` and one with an
 * escape character (ANSI colour, a C0 control). Announced
 * by the signed webhook and found by the poll, each is refused by its workflow with a reason that
 * names the code escaped and the character, the reason reaches Stock2Shop, nothing reaches the
 * source, and no workflow id or search attribute holds the character.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { IntakeServer } from '../../client/intake';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { statusQuery } from '../../contracts/workflows';
import { ChannelOrderCodeKey } from '../../contracts/search-attributes';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, WEBHOOK_SECRETS, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { callWebhook, orderWebhookUrl, startSignedIntake } from '../helpers/webhook';

/** What no id, search attribute or reason may hold: controls, bidi and invisible formatting characters. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

const CASES = [
  { code: 'WEB-\u202E1001', shown: 'WEB-\\u202E1001', reason: 'must not contain U+202E (right-to-left override, a bidi control)' },
  { code: '../x', shown: '..\\u002Fx', reason: 'must not contain U+002F "/" (a path separator)' },
  { code: 'WEB-\u001b[31m1002', shown: 'WEB-\\u001B[31m1002', reason: 'must not contain U+001B (a control character)' },
];

describe('order codes that disguise or escape', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let intake: IntakeServer;
  let workers: { stop(): Promise<void> } | undefined;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
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

  test('a code with U+202E, a code ../x, a code with ESC: refused naming the code escaped and the character, Stock2Shop told, nothing raised', async () => {
    for (const { code } of CASES) {
      const valid = makeOrder('WEB-CODE-BASE', [{ sku: 'KETTLE-01', qty: 1, price: 349.99 }], { customerCode: 'CASH001' });
      void stack.stock2shop.addOrder({ ...valid, channel_order_code: code } as never);
    }
    // The first is announced by the webhook; the poll finds them all.
    const body = JSON.stringify({ instruction: 'add_order', source_id: 101, channel_order_code: CASES[0]!.code });
    const answer = await callWebhook(orderWebhookUrl(intake.url, 101), { body, secret: WEBHOOK_SECRETS[OMNI_CONNECTION_ID] });
    assert.equal(answer.status, 202);
    const announcedId = (answer.body as { workflowId: string }).workflowId;
    assert.equal(announcedId, `raise-order/${OMNI_CONNECTION_ID}/${CASES[0]!.shown}`);
    await env.client.workflow.execute('pollOrders', {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: 'order-poll/order-codes',
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });

    for (const { code, shown, reason } of CASES) {
      const told = await waitFor(async () => stack.stock2shop.order(code).failure_reason ?? undefined, `Stock2Shop to learn why ${shown} was refused`);
      assert.equal(told, `Order ${shown}: channel_order_code: ${reason}`);
      assert.doesNotMatch(told, UNSAFE);
      const workflowId = raiseOrderWorkflowId(OMNI_CONNECTION_ID, code);
      assert.equal(workflowId, `raise-order/${OMNI_CONNECTION_ID}/${shown}`);
      const handle = env.client.workflow.getHandle(workflowId);
      const status = await handle.query(statusQuery);
      assert.equal(status.state, 'needs_attention', shown);
      assert.equal(status.reason, told);
      const attribute = await waitFor(async () => {
        const value = (await handle.describe()).typedSearchAttributes.get(ChannelOrderCodeKey);
        return value === shown ? value : undefined;
      }, `the ChannelOrderCode of ${shown} to be shown escaped`);
      assert.doesNotMatch(attribute, UNSAFE);
      // The attributes the run started with, as its history keeps them.
      const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
      const indexed = started?.searchAttributes?.indexedFields?.[ChannelOrderCodeKey.name]?.data;
      assert.equal(JSON.parse(Buffer.from(indexed!).toString('utf8')), shown);
    }
    for await (const execution of env.client.workflow.list({ query: `WorkflowType = 'raiseOrder'` })) {
      assert.doesNotMatch(execution.workflowId, UNSAFE, 'a workflow id holds an unsafe character');
      assert.ok(!execution.workflowId.includes('/../'), `${execution.workflowId}: a path segment`);
    }
    assert.equal(stack.omni.orders().length, 0, 'nothing reached the source');
  });
});
