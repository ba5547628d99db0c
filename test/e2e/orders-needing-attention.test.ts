/**
 * The OrderState search attribute on a real dev server: `cli orders` lists the orders needing a person
 * from one visibility query on it (no query to any workflow: it answers with every worker stopped), an
 * order started before raiseOrder kept OrderState gets it at its next state change, and the patch
 * 'order-state-search-attribute' is what lets the committed histories replay.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DeterminismViolationError } from '@temporalio/workflow';
import { raiseOrderWorkflowId } from '../../domain';
import { cliAgainst } from '../helpers/cli';
import { retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { OrderStateKey } from '../../contracts/search-attributes';
import { cachedWorkflowBundle } from '../../worker/workflow-bundle';
import { failureConverterPath } from '../../temporal/data-converter';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { loadHistoryCorpus, replayHistories } from '../helpers/replay';
import { variantWorkflowBundle } from '../helpers/variant-bundle';
import { activityTypeOf, patchIdOf } from '../helpers/history-reading';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };
const HINT = '`order status <connectionId> <code>` says why; `order retry <connectionId> <code>` after the fix';
/** The line of raiseOrder that asks the patch: without it, the code is what it was before the change. */
const PATCH_LINE = "    if (!this.orderStateAttribute) this.orderStateAttribute = this.patches.has('order-state-search-attribute');\n";

describe('orders needing a person, by the OrderState search attribute', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { omniItems: [KETTLE] });
  });
  after(async () => {
    for (const stop of stops.reverse()) await stop();
    await stack?.close();
    await env?.teardown();
  });

  const cli = (...argv: string[]) => cliAgainst(env, stack)(...argv);
  const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
  const orderStateOf = async (code: string) => (await handleOf(code).describe()).typedSearchAttributes.get(OrderStateKey);
  /** Needs attention, its failure written back: it waits for a fix, nothing pending. */
  async function untilWaitingForFix(code: string): Promise<void> {
    await waitFor(async () => ((await handleOf(code).query(statusQuery)).state === 'needs_attention' ? true : undefined), `${code} needs attention`);
    await waitFor(async () => {
      const { raw } = await handleOf(code).describe();
      return (raw.pendingActivities?.length ?? 0) === 0 && stack.stock2shop.order(code).failure_reason ? true : undefined;
    }, `${code}: the failure written back`);
  }
  /** The OrderState values the order upserted, in order. */
  async function upsertedStates(code: string): Promise<string[]> {
    return ((await handleOf(code).fetchHistory()).events ?? []).flatMap((e) => {
      const field = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[OrderStateKey.name];
      return field?.data ? [JSON.parse(Buffer.from(field.data).toString('utf8')) as string] : [];
    });
  }

  test('`cli orders` is one visibility query: an order needing attention is listed, a raised one is not, with every worker stopped', async (t) => {
    const workers = await runBothWorkers(stack);
    let stopped = false;
    const stop = async () => {
      if (!stopped) await workers.stop();
      stopped = true;
    };
    stops.push(stop);
    await stack.placeOrder(makeOrder('WEB-NA-1', [{ sku: 'GHOST-01', qty: 1, price: 10 }]));
    await stack.placeOrder(makeOrder('WEB-OK-1', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
    assert.equal(((await handleOf('WEB-OK-1').result()) as OrderStatus).state, 'raised');
    await untilWaitingForFix('WEB-NA-1');
    assert.equal(await orderStateOf('WEB-NA-1'), 'needs_attention');
    assert.equal(await orderStateOf('WEB-OK-1'), 'raised');
    assert.deepEqual(await upsertedStates('WEB-NA-1'), ['raising', 'needs_attention']);
    assert.deepEqual(await upsertedStates('WEB-OK-1'), ['raising', 'raised']);
    // Visibility follows the upserts a moment later; the Web UI's filter, as the README gives it.
    await waitFor(
      async () => ((await env.client.workflow.count('OrderState="needs_attention"')).count === 1 ? true : undefined),
      'the Web UI filter to find it',
    );
    await waitFor(async () => ((await env.client.workflow.count(`OrderState = 'raised'`)).count === 1 ? true : undefined), 'the raised order to be visible');

    // No worker answers a query now: the listing can only come from visibility.
    await stop();
    const list = t.mock.method(env.client.workflow, 'list');
    const all = await cli('orders');
    assert.equal(all.code, 0);
    assert.deepEqual(all.lines, ['acme-omni/WEB-NA-1: needs attention', HINT]);
    assert.equal(list.mock.callCount(), 1, 'one visibility query');
    const query = String((list.mock.calls[0]!.arguments[0] as { query?: string }).query);
    assert.match(query, /WorkflowType = 'raiseOrder'/);
    assert.match(query, /OrderState IN \('needs_attention', 'failed'\)/);

    assert.deepEqual((await cli('orders', '--connection', 'acme-omni')).lines, ['acme-omni/WEB-NA-1: needs attention', HINT]);
    assert.match(String((list.mock.calls[1]!.arguments[0] as { query?: string }).query), /ConnectionId = 'acme-omni'/);
    assert.deepEqual((await cli('orders', '--connection', 'bravo-isync')).lines, ['No order needs attention']);
    assert.equal(list.mock.callCount(), 3);
  });

  test('an order started before OrderState existed gets it at its next state change, and its history replays', async () => {
    // "Before": this code without the patch's line, so with the commands raiseOrder had before.
    const before = await variantWorkflowBundle('before-order-state', [{ file: 'workflows/raiseOrder.ts', find: PATCH_LINE, replace: '' }]);
    const agent = await stack.startAgentWorker();
    const agentRun = agent.run();
    stops.push(async () => {
      if (agent.getState() === 'RUNNING') agent.shutdown();
      await agentRun;
    });
    const old = await stack.startCentralWorker({ workflowBundle: before });
    const oldRun = old.run();
    await stack.placeOrder(makeOrder('WEB-OLD-1', [{ sku: 'GHOST-02', qty: 1, price: 10 }]));
    await untilWaitingForFix('WEB-OLD-1');
    assert.equal(await orderStateOf('WEB-OLD-1'), undefined, 'no OrderState on the old code');
    assert.deepEqual((await cli('orders')).lines, ['acme-omni/WEB-NA-1: needs attention', HINT], 'so `orders` does not list it yet');
    old.shutdown();
    await oldRun;

    // The new code takes over; the retry is the order's next state change.
    const current = await stack.startCentralWorker();
    const currentRun = current.run();
    stops.push(async () => {
      if (current.getState() === 'RUNNING') current.shutdown();
      await currentRun;
    });
    stack.omni.addItem({ STOCKCODE: 'GHOST-02', DESCRIPTION: 'Found', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 1 });
    assert.deepEqual(await handleOf('WEB-OLD-1').executeUpdate(retryUpdate), { attempt: 2 });
    assert.equal(((await handleOf('WEB-OLD-1').result()) as OrderStatus).state, 'raised');
    assert.equal(await orderStateOf('WEB-OLD-1'), 'raised');
    assert.deepEqual(await upsertedStates('WEB-OLD-1'), ['raising', 'raised'], 'from the first state change on the new code');
    const history = await handleOf('WEB-OLD-1').fetchHistory();
    const events = history.events ?? [];
    const marker = events.findIndex((e) => patchIdOf(e) === 'order-state-search-attribute');
    const failureWrittenBack = events.findIndex((e) => activityTypeOf(e) === 'writeBackOrderFailure');
    assert.ok(marker > failureWrittenBack && failureWrittenBack > 0, 'the patch is recorded where the new code took over');
    assert.equal(events.filter((e) => e.workflowTaskFailedEventAttributes).length, 0, 'no workflow task failed');

    const bundle = await cachedWorkflowBundle(require.resolve('../../workflows'), failureConverterPath);
    const [replayed] = await replayHistories(bundle, [{ name: 'WEB-OLD-1', workflowId: handleOf('WEB-OLD-1').workflowId, history }]);
    assert.equal(replayed?.error, undefined, String(replayed?.error));
  });

  test('without the patch, the same upserts would break every committed order history', async () => {
    const unguarded = await variantWorkflowBundle('order-state-unguarded', [
      { file: 'workflows/raiseOrder.ts', find: PATCH_LINE, replace: '    this.orderStateAttribute = true;\n' },
    ]);
    const corpus = loadHistoryCorpus();
    // A run continued as new carries the attribute from its first run: the patch was asked there.
    const orders = corpus.filter((h) => {
      const started = h.history.events?.[0]?.workflowExecutionStartedEventAttributes;
      return started?.workflowType?.name === 'raiseOrder' && !started.continuedExecutionRunId;
    });
    assert.ok(orders.length >= 6);
    const results = await replayHistories(unguarded, corpus);
    assert.deepEqual(
      results
        .filter((r) => r.error)
        .map((r) => r.name)
        .sort(),
      orders.map((h) => h.name).sort(),
      'every order history fails, and nothing else',
    );
    for (const { name, error } of results.filter((r) => r.error)) assert.ok(error instanceof DeterminismViolationError, `${name}: ${String(error)}`);
  });
});
