/**
 * Orders never lie: the guards that keep an order from being raised twice, or reported wrongly,
 * when the source answers ambiguously, commits slowly, loses answers, or Stock2Shop refuses the
 * write-back; and a retry or a cancellation does what the person asked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import { describeOrder } from '../../client/commands/orders';
import { retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, untilActivityPending, untilCalledAsActivityTask, waitFor } from '../helpers/orders';
import { activityStepNames } from '../helpers/history-reading';
import { EncryptionCodec, parseKeyRing } from '../../temporal/payload-codec';
import { TEST_KEY_RING_TEXT } from '../helpers/temporal';
import type { Payload } from '@temporalio/common';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };

describe('exactly once, and never reported wrongly', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { omniItems: [KETTLE], guardTiming: { probeIntervalMs: 200 } });
    workers = await runBothWorkers(stack);
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  const omni = () => stack.connections.find((c) => c.id === OMNI_CONNECTION_ID)!;
  const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
  const statusOf = (code: string) => handleOf(code).query(statusQuery);
  const documentsFor = (code: string) => stack.omni.orders().filter((d: { reference: string }) => d.reference === code);
  const until = (code: string, what: string, test: (s: OrderStatus) => boolean) =>
    waitFor(async () => {
      const status = await statusOf(code);
      return test(status) ? status : undefined;
    }, `order ${code}: ${what}`);
  const kettleOrder = (code: string) => makeOrder(code, [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]);

  test('1. a find whose answer cannot prove the order (filter ignored, no reference) is never taken as a match', async () => {
    await stack.placeOrder(kettleOrder('EO-1A'));
    await handleOf('EO-1A').result();
    await stack.omni.setFaults({ ignoreFindFilter: true });
    await stack.placeOrder(kettleOrder('EO-1B'));
    const ignored = await until('EO-1B', 'needs attention', (s) => s.state === 'needs_attention');
    assert.match(ignored.reason ?? '', /cannot confirm whether order EO-1B exists in Omni Accounts/);
    assert.equal(documentsFor('EO-1B').length, 0, 'not created: it might exist');
    assert.equal(stack.stock2shop.order('EO-1B').source_order_code, null, "another order's number was not written back");
    assert.match(stack.stock2shop.order('EO-1B').failure_reason ?? '', /cannot confirm/);

    // A find that answers the document without its reference (after a lost create answer) proves nothing either.
    await stack.omni.setFaults({ ignoreFindFilter: false, omitFindReference: true, loseCreateResponse: 1 });
    await stack.placeOrder(kettleOrder('EO-1C'));
    const unlabelled = await until('EO-1C', 'needs attention', (s) => s.state === 'needs_attention');
    assert.match(unlabelled.reason ?? '', /cannot confirm whether order EO-1C exists in Omni Accounts: .*document\(s\) \(SO\d+\), 1 without an order code/);
    assert.equal(documentsFor('EO-1C').length, 1, 'the lost create made one document, and no second');

    // With the filter honoured and the reference echoed again, retries raise each once.
    await stack.omni.clearFaults();
    for (const code of ['EO-1B', 'EO-1C']) {
      await handleOf(code).executeUpdate(retryUpdate);
      assert.equal(((await handleOf(code).result()) as OrderStatus).state, 'raised');
      assert.equal(documentsFor(code).length, 1);
    }
  });

  test('2. a create whose answer was lost while the source commits slowly is looked for after the commit delay, not repeated', async () => {
    const connection = omni();
    connection.createCommitDelaySeconds = 4;
    try {
      await stack.omni.setFaults({ loseCreateResponse: 1, commitDelayMs: 2500 });
      await stack.placeOrder(kettleOrder('EO-2'));
      const result = (await handleOf('EO-2').result()) as OrderStatus;
      assert.equal(result.state, 'raised');
      assert.equal(result.alreadyExisted, true, 'found, not created again');
      assert.equal(documentsFor('EO-2').length, 1, 'one document in the source');
    } finally {
      connection.createCommitDelaySeconds = 1;
      await stack.omni.clearFaults();
    }
  });

  test('3. once the source gave a number, a refusing Stock2Shop leaves it "raised, write-back pending" until it takes it', async () => {
    await stack.omni.setFaults({ latencyMs: 1500 });
    await stack.placeOrder(kettleOrder('EO-3'));
    // The order has been read from Stock2Shop once the raise in the source is under way.
    await untilActivityPending(handleOf('EO-3'), 'raiseInSource', 'order EO-3 being raised in the source');
    await stack.stock2shop.setFaults({ errorRate: 1, status: 400 });
    await stack.omni.clearFaults();
    const pending = await until('EO-3', 'write-back pending', (s) => s.writeBackPending === true).catch(async (error: unknown) => {
      await stack.stock2shop.clearFaults(); // the next tests need a Stock2Shop that answers
      throw error;
    });
    assert.equal(pending.state, 'raised');
    assert.match(describeOrder(pending), /raised as SO\d+, write-back to Stock2Shop pending/);
    // The local write-back's short window runs out; the call goes on as an activity task, whose retries
    // stay out of the order's history.
    await untilCalledAsActivityTask(handleOf('EO-3'), 'writeBackSourceOrderCode', 'the write-back to go on as an activity task').catch(
      async (error: unknown) => {
        await stack.stock2shop.clearFaults();
        throw error;
      },
    );
    assert.equal((await statusOf('EO-3')).state, 'raised');
    await stack.stock2shop.clearFaults();
    const result = (await handleOf('EO-3').result()) as OrderStatus;
    assert.equal(result.writeBackPending, false);
    const held = stack.stock2shop.order('EO-3');
    assert.equal(held.source_order_code, result.sourceOrderCode);
    assert.equal(held.failure_reason, null, 'no failure was ever written back for a raised order');
    assert.equal(documentsFor('EO-3').length, 1);
    assert.deepEqual(activityStepNames(await handleOf('EO-3').fetchHistory()), [
      'prepareOrder (local)',
      'raiseInSource',
      'writeBackSourceOrderCode (local)',
      'writeBackSourceOrderCode',
    ]);
  });

  test('4. retry is an Update: refused at once with the reason unless the order waits for a fix', async () => {
    await stack.omni.setFaults({ latencyMs: 1500 });
    await stack.placeOrder(kettleOrder('EO-4'));
    await until('EO-4', 'raising', (s) => s.state === 'raising');
    await assert.rejects(handleOf('EO-4').executeUpdate(retryUpdate), (error: Error) => {
      assert.ok(error instanceof WorkflowUpdateFailedError);
      assert.match(error.cause?.message ?? '', /EO-4 is being raised now \(attempt 1\); a retry is taken only while it waits for a fix/);
      return true;
    });
    await stack.omni.clearFaults();
    await handleOf('EO-4').result();
    const history = await handleOf('EO-4').fetchHistory();
    assert.equal(history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length, 0, 'a refused retry leaves no trace');
  });

  test('5. cancelling an order that waits for a fix cancels it and tells Stock2Shop; it is not reported as a failure', async () => {
    await stack.placeOrder(makeOrder('EO-5', [{ sku: 'NOT-THERE', qty: 1, price: 1 }]));
    await until('EO-5', 'needs attention', (s) => s.state === 'needs_attention');
    await waitFor(async () => stack.stock2shop.order('EO-5').failure_reason ?? undefined, 'the first write-back');
    const writeBacks = stack.stock2shop.order('EO-5').write_backs.length;
    await handleOf('EO-5').cancel();
    await assert.rejects(handleOf('EO-5').result(), (error: Error) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.equal(error.cause?.name, 'CancelledFailure');
      return true;
    });
    assert.equal((await handleOf('EO-5').describe()).status.name, 'CANCELLED');
    const held = stack.stock2shop.order('EO-5');
    assert.deepEqual(
      held.write_backs.slice(writeBacks).map((w) => w.kind),
      ['cancelled'],
      'the cancel is written back, and nothing else',
    );
    assert.equal(held.failure_reason, null, 'no longer shown as a failure');
  });

  test('6. a probe answered with 401 counts as reachable: the order names the refused login at once', async () => {
    await stack.omni.setOffline(true);
    try {
      await stack.placeOrder(kettleOrder('EO-6'));
      await waitFor(
        async () => (stack.omni.requests().some((r: { outcome?: string }) => r.outcome !== 'ok') ? true : undefined),
        'the source to be found down',
      ).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await stack.omni.setFaults({ authFailure: true });
    } finally {
      await stack.omni.setOffline(false);
    }
    const waiting = await until('EO-6', 'needs attention', (s) => s.state === 'needs_attention');
    assert.match(waiting.reason ?? '', /refused the login/);
    await stack.omni.clearFaults();
    await handleOf('EO-6').executeUpdate(retryUpdate);
    assert.equal(((await handleOf('EO-6').result()) as OrderStatus).state, 'raised');
  });

  test('7. a raise in progress says its stage in its heartbeat, and its heartbeat timeout suits an office line', async () => {
    await stack.omni.setFaults({ latencyMs: 3000 });
    try {
      await stack.placeOrder(kettleOrder('EO-7'));
      const codec = new EncryptionCodec(parseKeyRing(TEST_KEY_RING_TEXT));
      const stage = await waitFor(async () => {
        const { raw } = await handleOf('EO-7').describe();
        const pending = raw.pendingActivities?.find((activity) => activity.activityType?.name === 'raiseInSource');
        const payloads = pending?.heartbeatDetails?.payloads;
        if (!payloads?.length) return undefined;
        const [decoded] = await codec.decode(payloads as Payload[]);
        return (JSON.parse(Buffer.from(decoded!.data!).toString('utf8')) as { stage: string }).stage;
      }, 'a heartbeat of the raise');
      assert.ok(['finding', 'creating'].includes(stage), stage);
    } finally {
      await stack.omni.clearFaults();
    }
    await handleOf('EO-7').result();
    const scheduled = (await handleOf('EO-7').fetchHistory()).events?.find(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'raiseInSource',
    );
    assert.ok(Number(scheduled?.activityTaskScheduledEventAttributes?.heartbeatTimeout?.seconds) >= 60);
  });
});
