/**
 * What the engine copies out of Temporal holds no source text quoting a customer. On a dev server with
 * the workers and the simulators: Omni Accounts refuses an order naming its customer account after the
 * customer ("Customer account Thandi Nkosi not found"), iSync one whose line is the customer's phone
 * number ("Product stock item +27 21 555 0101 not found"), and two product passes fail on Omni's own
 * words ("Invalid username or password") so the engine pauses the schedule. Then:
 *  - no file the engine wrote under DATA_DIR holds the quoted text, and each is owner-only (0600 files,
 *    0700 folders);
 *  - the schedule's description (its pause note, which Temporal keeps in plain) holds none of the
 *    source's words;
 *  - no alert sent holds the quoted text;
 *  - `cli problems` still shows the operator each source's own message, opened with the connection's key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, manualProductSyncWorkflowId, productSyncScheduleId, raiseOrderWorkflowId } from '../../domain';
import type { AlertPayload } from '../../activities/alerts';
import { statusQuery } from '../../contracts/workflows';
import { cliAgainst } from '../helpers/cli';
import { freePort } from '../helpers/ports';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };
/** What the sources quote of the customer. */
const QUOTED = ['Thandi Nkosi', '+27 21 555 0101'];
/** Omni's own words when the login fails: the failed passes carry them. */
const OMNI_LOGIN_REFUSAL = 'Invalid username or password';
const ALERT_VARIABLE = 'ACME_ALERT_WEBHOOK_URL';

async function startReceiver(): Promise<{ server: Server; url: string; received: AlertPayload[] }> {
  const received: AlertPayload[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push(JSON.parse(body) as AlertPayload);
      response.writeHead(200).end('ok');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}/alerts`, received };
}

/** Every file and folder under `root`, but those left out (relative paths). */
function walk(root: string, leftOut: string[], at = ''): { path: string; directory: boolean }[] {
  return readdirSync(join(root, at)).flatMap((name) => {
    const path = at ? join(at, name) : name;
    if (leftOut.includes(path)) return [];
    const directory = statSync(join(root, path)).isDirectory();
    return [{ path, directory }, ...(directory ? walk(root, leftOut, path) : [])];
  });
}

describe('personal data at rest, outside Temporal', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    env = await startDevServer();
    receiver = await startReceiver();
    process.env[ALERT_VARIABLE] = receiver.url;
    stack = await startStack(env, {
      omniItems: [KETTLE],
      omniConnection: { syncIntervalMinutes: 1440, alerts: { webhookUrlRef: ALERT_VARIABLE, pauseAfterFailedPasses: 2 } },
      isyncConnection: { syncIntervalMinutes: 1440, alerts: { webhookUrlRef: ALERT_VARIABLE } },
    });
    workers = await runBothWorkers(stack);
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
    receiver?.server.close();
  });

  async function untilNeedsAttention(connectionId: string, code: string): Promise<void> {
    const handle = env.client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));
    await waitFor(async () => ((await handle.query(statusQuery)).state === 'needs_attention' ? true : undefined), `${code} to need attention`);
    await waitFor(async () => ((await handle.describe()).raw.pendingActivities?.length ?? 0) === 0 || undefined, `${code}: its failure written back`);
  }
  const pass = () =>
    env.client.workflow
      .execute('productSync', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: manualProductSyncWorkflowId(OMNI_CONNECTION_ID),
        args: [{ connectionId: OMNI_CONNECTION_ID }],
      })
      .then(
        () => true,
        () => false,
      );
  const poll = () =>
    env.client.workflow.execute('pollOrders', {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: `order-poll/${OMNI_CONNECTION_ID}/test-${Date.now()}`,
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });

  test('refused orders and failed passes leave no source text in DATA_DIR, the pause note or the alerts; the operator still reads it', async () => {
    const cli = cliAgainst(env, stack);
    assert.equal((await cli('schedules')).code, 0);
    await stack.placeOrder(makeOrder('PDR-1', [{ sku: 'KETTLE-01', qty: 1, price: 10 }], { customerCode: 'Thandi Nkosi' }));
    await stack.placeOrder(makeOrder('PDR-2', [{ sku: '+27 21 555 0101', qty: 1, price: 10 }]), ISYNC_CONNECTION_ID);
    await untilNeedsAttention(OMNI_CONNECTION_ID, 'PDR-1');
    await untilNeedsAttention(ISYNC_CONNECTION_ID, 'PDR-2');
    assert.match(stack.stock2shop.order('PDR-1').failure_reason!, /Customer account Thandi Nkosi not found/, 'Omni quoted the customer');
    assert.match(stack.stock2shop.order('PDR-2').failure_reason!, /\+27 21 555 0101/, 'iSync quoted the phone number');

    await stack.omni.setFaults({ authFailure: true });
    try {
      assert.equal(await pass(), false);
      assert.equal(await pass(), false);
      const query = `WorkflowType = 'productSync' AND ConnectionId = '${OMNI_CONNECTION_ID}' AND ExecutionStatus = 'Failed'`;
      await waitFor(async () => ((await env.client.workflow.count(query)).count === 2 ? true : undefined), 'two failed passes in visibility');
      await poll();
    } finally {
      await stack.omni.clearFaults();
    }
    const { state } = await env.client.schedule.getHandle(productSyncScheduleId(OMNI_CONNECTION_ID)).describe();
    assert.equal(state.paused, true, 'paused by the engine');
    await waitFor(async () => (receiver.received.some((a) => a.kind === 'schedule_paused') ? true : undefined), 'the pause alert');

    // Every finding at once, so a failure says all that leaked where.
    const findings: string[] = [];
    const lookFor = (where: string, text: string | undefined) => {
      for (const words of [...QUOTED, OMNI_LOGIN_REFUSAL]) if (text?.includes(words)) findings.push(`${where} holds '${words}'`);
    };
    // 1. The files the engine wrote (the Stock2Shop simulator's own folder, and the test's connections file, aside).
    const files = walk(stack.dataDir, ['stock2shop', 'connections.json']);
    assert.ok(
      files.some((f) => f.path.includes('problems')),
      `the file store holds the problems (${files.map((f) => f.path).join(', ')})`,
    );
    for (const { path, directory } of files) {
      const mode = statSync(join(stack.dataDir, path)).mode & 0o777;
      if (mode !== (directory ? 0o700 : 0o600)) findings.push(`${path} has mode ${mode.toString(8)}`);
      if (!directory) lookFor(path, readFileSync(join(stack.dataDir, path), 'utf8'));
    }
    // 2. The schedule's description: Temporal keeps its note in plain.
    lookFor('the pause note', state.note);
    // 3. The alerts sent.
    assert.ok(
      receiver.received.some((a) => a.kind === 'order_needs_attention' && a.subject === 'PDR-1'),
      'the order alert',
    );
    for (const alert of receiver.received) lookFor(`the ${alert.kind} alert (${alert.state})`, alert.text);
    assert.deepEqual(findings, [], 'no source text outside Temporal; files 0600, folders 0700');
    assert.match(state.note!, /the last 2 product passes failed .*Resume after the fix: npm run cli -- sync resume acme-omni$/);

    // 4. The operator, holding the keys, still reads each source's own words.
    const problems = await cli('problems');
    assert.equal(problems.code, 0);
    const text = problems.lines.join('\n');
    assert.match(text, /^acme-omni +order +PDR-1 .*Customer account Thandi Nkosi not found/m);
    assert.match(text, /^bravo-isync +order +PDR-2 .*\+27 21 555 0101/m);
    const detail = (await cli('status', OMNI_CONNECTION_ID)).lines.join('\n');
    assert.match(detail, /PDR-1 .*Customer account Thandi Nkosi not found/);
  });
});
