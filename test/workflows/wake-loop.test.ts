/**
 * No wake loop: an Omni whose ping answers while its order path resets every connection (a firewall
 * rule, a crashed sales-order module) must not make its waiting orders try again and again. The probe
 * takes the order path, and orders woken in vain make the watch wait longer (capped, doubling).
 *
 * "An hour" here is an hour of a connection probing every 15 s, shortened 60-fold through its
 * configuration: it probes every 0.25 s for 60 s (the same 240 probe intervals).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import type { OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder } from '../helpers/orders';
import { activitySteps } from '../helpers/history-reading';
import type { FaultSet } from '../../simulators/lib/faults';

const HOUR_SHORTENED_MS = 60_000;
const MAX_EVENTS_PER_RUN = 2_000;
const MAX_RAISE_ATTEMPTS = 60;

let env: TestWorkflowEnvironment;
let stack: Stack;
let workers: { stop(): Promise<void> } | undefined;

before(async () => {
  env = await startDevServer();
  stack = await startStack(env, {
    omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    omniConnection: { sourceProbeSeconds: 0.25 },
    guardTiming: { probeIntervalMs: 100 },
  });
  workers = await runBothWorkers(stack);
});
after(async () => {
  await workers?.stop();
  await stack?.close();
  await env?.teardown();
});

/** Each run of the order (back through continue-as-new): its events and its raise attempts. */
async function runsOf(code: string): Promise<{ events: number; raiseAttempts: number }[]> {
  const runs: { events: number; raiseAttempts: number }[] = [];
  let runId: string | undefined;
  do {
    const history = await env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code), runId).fetchHistory();
    runs.push({ events: history.events?.length ?? 0, raiseAttempts: activitySteps(history).filter((s) => s.type === 'raiseInSource').length });
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  } while (runId);
  return runs;
}

async function anHourOf(t: TestContext, fault: FaultSet, codes: string[]): Promise<void> {
  await stack.omni.setFaults(fault);
  try {
    for (const code of codes) await stack.placeOrder(makeOrder(code, [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
    await new Promise((resolve) => setTimeout(resolve, HOUR_SHORTENED_MS));
    for (const code of codes) {
      const runs = await runsOf(code);
      const attempts = runs.reduce((sum, run) => sum + run.raiseAttempts, 0);
      t.diagnostic(`${code}: ${runs.map((run) => run.events).join(' + ')} events in ${runs.length} run(s), ${attempts} raise attempts`);
      for (const run of runs) assert.ok(run.events < MAX_EVENTS_PER_RUN, `${code}: a run of ${run.events} events`);
      assert.ok(attempts < MAX_RAISE_ATTEMPTS, `${code}: ${attempts} raise attempts`);
    }
  } finally {
    await stack.omni.clearFaults();
  }
  // The order path answers again: each order is raised once, woken by the watch.
  for (const code of codes) {
    const result = (await env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).result()) as OrderStatus;
    assert.equal(result.state, 'raised', code);
    assert.equal(stack.omni.orders().filter((d) => d.reference === code).length, 1, `${code}: one document`);
  }
}

test("an hour of Omni's order path resetting every connection while its ping answers", async (t) => {
  await anHourOf(t, { resetRequestsMatching: ['/Sales Order/'] }, ['WL-A1', 'WL-A2']);
});

test("an hour of Omni answering the probe's find but resetting these orders' finds: the watch backs off", async (t) => {
  await anHourOf(t, { resetRequestsMatching: ['reference=WL-B'] }, ['WL-B1', 'WL-B2']);
});
