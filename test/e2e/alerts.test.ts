/**
 * Alerts and the engine's metrics on a real dev server, with the workers and the simulators. An alert
 * receiver (a small HTTP server on a free port) records every call:
 *  - an order needing a person: one alert; announced again, retried and failing again: no second one;
 *    fixed and raised: one recovery;
 *  - a source offline longer than its (short) `sourceDownMinutes`: one alert while the watch probes
 *    it, one recovery when it answers;
 *  - `pauseAfterFailedPasses` failed passes: one alert for the failing pass, then the schedule paused
 *    (its description shows the note) and one alert saying so; resumed and a pass completes: both recover;
 *  - a central worker as its own process with METRICS_BIND_ADDRESS serves the engine's counters, by
 *    connection, beside the SDK's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, manualProductSyncWorkflowId, productSyncScheduleId, raiseOrderWorkflowId } from '../../domain';
import type { AlertPayload } from '../../activities/alerts';
import { ENGINE_PAUSE_NOTE_PREFIX } from '../../activities/pass-check';
import { retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { cliAgainst } from '../helpers/cli';
import { freePort } from '../helpers/ports';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };
const ALERT_VARIABLE = 'ACME_ALERT_WEBHOOK_URL';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The alert receiver: records each call's JSON; answers 200. */
async function startReceiver(): Promise<{ server: Server; url: string; received: AlertPayload[] }> {
  const received: AlertPayload[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push(JSON.parse(body) as AlertPayload);
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}/services/T0/B0/not-a-real-token`, received };
}

describe('alerts', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    env = await startDevServer();
    receiver = await startReceiver();
    // The connection names the variable; the workers in this process read it from the environment.
    process.env[ALERT_VARIABLE] = receiver.url;
    stack = await startStack(env, {
      omniItems: [KETTLE],
      // Daily schedules: a scheduled pass (almost) never runs during the test.
      omniConnection: {
        syncIntervalMinutes: 1440,
        sourceProbeSeconds: 1,
        alerts: { webhookUrlRef: ALERT_VARIABLE, sourceDownMinutes: 0.05, pauseAfterFailedPasses: 2 },
      },
      isyncConnection: { syncIntervalMinutes: 1440 },
    });
    workers = await runBothWorkers(stack);
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
    receiver?.server.close();
  });

  const alertsOf = (kind: string, subject?: string) => receiver.received.filter((a) => a.kind === kind && (subject === undefined || a.subject === subject));
  const statesOf = (kind: string, subject?: string) => alertsOf(kind, subject).map((a) => a.state);
  const orderHandle = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
  /** Needs attention after attempt `attempt`, its failure written back: nothing pending. */
  async function untilWaitingForFix(code: string, attempt: number): Promise<void> {
    await waitFor(async () => {
      const status = await orderHandle(code).query(statusQuery);
      return status.state === 'needs_attention' && status.attempts === attempt ? true : undefined;
    }, `${code} needs attention (attempt ${attempt})`);
    await waitFor(
      async () => ((await orderHandle(code).describe()).raw.pendingActivities?.length ?? 0) === 0 || undefined,
      `${code}: the failure written back`,
    );
  }
  /** The order poll of the connection, run now (its schedule runs it every 5 minutes): it carries the periodic check. */
  async function poll(): Promise<void> {
    await env.client.workflow.execute('pollOrders', {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: `order-poll/${OMNI_CONNECTION_ID}/test-${Date.now()}`,
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
  }
  /** A manual pass of acme-omni to its end: true when it completed. */
  async function pass(): Promise<boolean> {
    return env.client.workflow
      .execute('productSync', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: manualProductSyncWorkflowId(OMNI_CONNECTION_ID),
        args: [{ connectionId: OMNI_CONNECTION_ID }],
      })
      .then(
        () => true,
        () => false,
      );
  }
  /** Waits until visibility lists this many closed passes of acme-omni. */
  async function untilVisible(closedPasses: number): Promise<void> {
    const query = `WorkflowType = 'productSync' AND ConnectionId = '${OMNI_CONNECTION_ID}' AND ExecutionStatus IN ('Completed', 'Failed', 'TimedOut')`;
    await waitFor(
      async () => ((await env.client.workflow.count(query)).count === closedPasses ? true : undefined),
      `${closedPasses} closed passes in visibility`,
    );
  }

  test('an order needing a person: one alert, whatever is delivered or retried; one recovery once it is raised', async () => {
    await stack.placeOrder(makeOrder('WEB-AL-1', [{ sku: 'GHOST-01', qty: 1, price: 10 }]));
    await untilWaitingForFix('WEB-AL-1', 1);
    await waitFor(async () => (alertsOf('order_needs_attention', 'WEB-AL-1').length > 0 ? true : undefined), 'the alert');
    const [alert] = alertsOf('order_needs_attention', 'WEB-AL-1');
    assert.equal(alert!.state, 'open');
    assert.equal(alert!.connectionId, OMNI_CONNECTION_ID);
    assert.equal(alert!.connectionName, 'Acme Trading (Omni Accounts)');
    assert.match(
      alert!.text,
      /^🔴 acme-omni: order WEB-AL-1 needs a person: `npm run cli -- order status acme-omni WEB-AL-1` says why .*After the fix: npm run cli -- order retry acme-omni WEB-AL-1 \(since .* UTC\)$/,
    );

    // Announced again (webhook), then retried and failing again: the same episode, no second alert.
    await stack.placeOrder(makeOrder('WEB-AL-1', [{ sku: 'GHOST-01', qty: 1, price: 10 }]));
    assert.deepEqual(await orderHandle('WEB-AL-1').executeUpdate(retryUpdate), { attempt: 2 });
    await untilWaitingForFix('WEB-AL-1', 2);
    await poll(); // the periodic check sends whatever is still due: nothing
    assert.deepEqual(statesOf('order_needs_attention', 'WEB-AL-1'), ['open']);

    // Fixed and retried: raised, and one recovery.
    stack.omni.addItem({ STOCKCODE: 'GHOST-01', DESCRIPTION: 'Found', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 5 });
    await orderHandle('WEB-AL-1').executeUpdate(retryUpdate);
    const raised = (await orderHandle('WEB-AL-1').result()) as OrderStatus;
    assert.equal(raised.state, 'raised');
    await waitFor(async () => (alertsOf('order_needs_attention', 'WEB-AL-1').length === 2 ? true : undefined), 'the recovery');
    assert.deepEqual(statesOf('order_needs_attention', 'WEB-AL-1'), ['open', 'recovered']);
    assert.match(
      alertsOf('order_needs_attention', 'WEB-AL-1')[1]!.text,
      new RegExp(`^✅ acme-omni: order WEB-AL-1 is raised, as ${raised.sourceOrderCode} \\(after \\d+ (s|min)\\)$`),
    );
    await poll();
    assert.equal(alertsOf('order_needs_attention').length, 2, 'nothing more');
  });

  test('a source offline longer than sourceDownMinutes: one alert while it lasts, one recovery when it answers', async () => {
    await stack.omni.setOffline(true);
    try {
      await stack.placeOrder(makeOrder('WEB-AL-2', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
      await waitFor(async () => (alertsOf('source_down').length > 0 ? true : undefined), 'the source-down alert', 60_000);
      const [alert] = alertsOf('source_down');
      assert.equal(alert!.state, 'open');
      assert.equal(alert!.subject, 'source');
      assert.match(alert!.text, /^🔴 acme-omni: the Omni Accounts source has not answered for over 0.05 min; orders wait for it/);
      assert.ok(Date.parse(alert!.at) - Date.parse(alert!.since) >= 3_000, 'not before sourceDownMinutes (3 s)');
      // The watch goes on probing every second: no second alert.
      await sleep(4_000);
      assert.deepEqual(statesOf('source_down'), ['open']);
    } finally {
      await stack.omni.setOffline(false);
    }
    assert.equal(((await orderHandle('WEB-AL-2').result()) as OrderStatus).state, 'raised');
    await waitFor(async () => (alertsOf('source_down').length === 2 ? true : undefined), 'the recovery');
    assert.deepEqual(statesOf('source_down'), ['open', 'recovered']);
    assert.match(alertsOf('source_down')[1]!.text, /^✅ acme-omni: the Omni Accounts source answers again \(after \d+ s\)$/);
    assert.equal(alertsOf('order_needs_attention', 'WEB-AL-2').length, 0, 'the order itself needed nobody');
  });

  test('failed passes: one alert; after pauseAfterFailedPasses the schedule is paused with a note, one alert; both recover', async () => {
    const cli = cliAgainst(env, stack);
    assert.equal((await cli('schedules')).code, 0);
    const scheduleId = productSyncScheduleId(OMNI_CONNECTION_ID);
    await stack.omni.setFaults({ authFailure: true });
    try {
      assert.equal(await pass(), false);
      await untilVisible(1);
      await poll();
      assert.deepEqual(statesOf('product_pass_failed'), ['open']);
      assert.equal(alertsOf('product_pass_failed')[0]!.subject, scheduleId);
      assert.match(
        alertsOf('product_pass_failed')[0]!.text,
        /^🔴 acme-omni: the last product pass failed \(closed .* UTC\): product-sync\/acme-omni\S* in the Web UI, or `npm run cli -- status acme-omni`, says why/,
      );
      assert.equal((await env.client.schedule.getHandle(scheduleId).describe()).state.paused, false, 'one failure: not paused');

      assert.equal(await pass(), false);
      await untilVisible(2);
      await poll();
      const { state } = await env.client.schedule.getHandle(scheduleId).describe();
      assert.equal(state.paused, true);
      assert.ok(state.note?.startsWith(`${ENGINE_PAUSE_NOTE_PREFIX} at `), state.note);
      assert.match(
        state.note!,
        /the last 2 product passes failed \(latest: product-sync\/acme-omni.*\)\. Resume after the fix: npm run cli -- sync resume acme-omni$/,
      );
      assert.deepEqual(statesOf('schedule_paused'), ['open']);
      assert.match(
        alertsOf('schedule_paused')[0]!.text,
        new RegExp(`^🔴 acme-omni: the product-sync schedule ${scheduleId} is paused: ${ENGINE_PAUSE_NOTE_PREFIX} at `),
      );
      assert.deepEqual(statesOf('product_pass_failed'), ['open'], 'the second failure: the same episode');

      await poll();
      assert.deepEqual(statesOf('schedule_paused'), ['open'], 'checked again: nothing new');
      assert.equal(alertsOf('product_pass_overdue').length, 0);
    } finally {
      await stack.omni.clearFaults();
    }

    // Fixed and resumed by a person; the next pass completes.
    assert.equal((await cli('sync', 'resume', OMNI_CONNECTION_ID)).code, 0);
    await waitFor(async () => ((await env.client.schedule.getHandle(scheduleId).describe()).state.paused ? undefined : true), 'the schedule to run again');
    await poll();
    assert.deepEqual(statesOf('schedule_paused'), ['open'], 'resumed, no pass completed yet: still paused as far as the alert goes');
    assert.equal((await env.client.schedule.getHandle(scheduleId).describe()).state.paused, false, 'the failures before the pause do not pause it again');
    assert.equal(await pass(), true);
    await untilVisible(3);
    await poll();
    assert.deepEqual(statesOf('product_pass_failed'), ['open', 'recovered']);
    assert.deepEqual(statesOf('schedule_paused'), ['open', 'recovered']);
    assert.match(alertsOf('product_pass_failed')[1]!.text, /^✅ acme-omni: a product pass completed again \(closed .* UTC\): acme-omni: 1 page\(s\)/);
    await poll();
    assert.equal(alertsOf('product_pass_failed').length + alertsOf('schedule_paused').length, 4, 'nothing more');
  });
});

describe('engine metrics', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;

  // No worker in this process: a central worker (with the iSync queue) runs as its own process.
  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { isyncConnection: { syncIntervalMinutes: 1440 } });
  });
  after(async () => {
    await stack?.close();
    await env?.teardown();
  });

  test("a worker process with METRICS_BIND_ADDRESS serves the engine's counters by connection", async () => {
    const port = await freePort();
    const worker = stack.spawnWorker('central', { METRICS_BIND_ADDRESS: `127.0.0.1:${port}` });
    try {
      const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      await waitFor(async () => ((await metrics()).length > 0 ? true : undefined), 'the metrics endpoint', 60_000);
      const summary = (await env.client.workflow.execute('productSync', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: manualProductSyncWorkflowId(ISYNC_CONNECTION_ID),
        args: [{ connectionId: ISYNC_CONNECTION_ID }],
      })) as { listed: number; pushed: number; invalid: number };
      assert.ok(summary.listed > 0);
      // An iSync order needing a person (an unknown SKU), and one raised: both on the central worker's process.
      await stack.placeOrder(makeOrder('ISY-AL-1', [{ sku: 'GHOST-99', qty: 1, price: 10 }]), ISYNC_CONNECTION_ID);
      const sku = stack.isync.catalog()[0]!.SKU as string;
      await stack.placeOrder(makeOrder('ISY-AL-2', [{ sku, qty: 1, price: 100 }]), ISYNC_CONNECTION_ID);
      assert.equal(((await env.client.workflow.getHandle(raiseOrderWorkflowId(ISYNC_CONNECTION_ID, 'ISY-AL-2')).result()) as OrderStatus).state, 'raised');

      const valueOf = (text: string, name: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`connection_id="${ISYNC_CONNECTION_ID}"`));
        return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      const text = await waitFor(
        async () => {
          const current = await metrics();
          return valueOf(current, 'engine_orders_needing_attention') === 1 ? current : undefined;
        },
        'the counters',
        60_000,
      );
      assert.equal(valueOf(text, 'engine_products_read'), summary.listed);
      assert.equal(valueOf(text, 'engine_products_pushed'), summary.pushed);
      assert.equal(valueOf(text, 'engine_products_invalid') ?? 0, summary.invalid);
      assert.equal(valueOf(text, 'engine_orders_raised'), 1);
      assert.equal(valueOf(text, 'engine_source_reachable'), 1);
      assert.match(text, /^# TYPE engine_products_read counter$/m);
      assert.match(text, /^# TYPE engine_source_reachable gauge$/m);
      assert.match(text, /^engine_products_read\{.*activityType="syncProductPages".*connection_id="bravo-isync".*\} \d+$/m);
      assert.match(text, /^temporal_/m, "beside the SDK's own");
    } finally {
      await worker.kill();
    }
  });
});
