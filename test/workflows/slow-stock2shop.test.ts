/**
 * A slow Stock2Shop never stalls the other workflows of a central worker: an order's Stock2Shop call
 * made as a local activity holds its workflow task (and one of the worker's workflow-task slots) for
 * its tries, so a slow one hands over to an activity task within seconds, or at once while this
 * process has seen Stock2Shop slow. Here the worker has 2 workflow-task slots, Stock2Shop answers in
 * 10 s and 4 orders arrive: another connection's pass gets its first workflow task before Stock2Shop
 * has answered any of them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { temporal } from '@temporalio/proto';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { productSync } from '../../workflows';
import type { OrderStatus } from '../../contracts/workflows';
import { DEFAULT_SIZING } from '../../worker/sizing';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const LATENCY_MS = 10_000;

let env: TestWorkflowEnvironment;
let stack: Stack;

before(async () => {
  env = await startDevServer();
  stack = await startStack(env, {
    omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
  });
});
after(async () => {
  await stack?.close();
  await env?.teardown();
});

const timeOf = (event: HistoryEvent) => Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);

test("Stock2Shop answering in 10 s with 4 orders reading: another connection's workflow task is not kept waiting for them", async (t) => {
  const central = await stack.startCentralWorker({ sizing: { ...DEFAULT_SIZING, workflowTaskSlots: 2 } });
  const agent = await stack.startAgentWorker();
  const running = [central.run(), agent.run()];
  try {
    await stack.stock2shop.setFaults({ latencyMs: LATENCY_MS });
    const codes = ['SL-1', 'SL-2', 'SL-3', 'SL-4'];
    for (const code of codes)
      void stack.stock2shop.addOrder({ ...makeOrder(code, [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]), sources: [{ source_id: 101 }] });
    await Promise.all(codes.map((code) => stack.placeOrder(makeOrder(code, [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]))));
    // The orders hold the worker's two workflow-task slots (reading themselves) when the other connection's pass starts.
    await waitFor(async () => {
      const started = await Promise.all(
        codes.map(async (code) =>
          (await env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).fetchHistory()).events?.some(
            (e) => e.workflowTaskStartedEventAttributes,
          ),
        ),
      );
      return started.filter(Boolean).length >= 2 ? true : undefined;
    }, 'two orders to start reading');
    const pass = await env.client.workflow.start(productSync, {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: 'product-sync/bravo-isync/slow-s2s',
      args: [{ connectionId: ISYNC_CONNECTION_ID }],
    });
    await waitFor(
      async () => ((await pass.fetchHistory()).events?.some((e) => e.workflowTaskStartedEventAttributes) ? true : undefined),
      "the pass's first workflow task",
      120_000,
    );
    const passStarted = timeOf((await pass.fetchHistory()).events!.find((e) => e.workflowTaskStartedEventAttributes)!);
    await stack.stock2shop.clearFaults();
    for (const code of codes) {
      const handle = env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
      assert.equal(((await handle.result()) as OrderStatus).state, 'raised', code);
    }
    // When Stock2Shop first answered an order's read: until then every read was waiting for it.
    const reads = stack.stock2shop.requests().filter((r) => r.method === 'GET' && /^\/orders\/./.test(r.path));
    const firstAnswer = Math.min(...reads.map((r) => Date.parse(r.at) + r.durationMs));
    t.diagnostic(`the pass's first workflow task started ${firstAnswer - passStarted} ms before Stock2Shop first answered a read`);
    assert.ok(passStarted < firstAnswer, "the other connection's workflow task started while every order was still waiting for Stock2Shop");
    await pass.result();
  } finally {
    await stack.stock2shop.clearFaults();
    for (const worker of [central, agent]) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.allSettled(running);
  }
});
