/**
 * The operator's second day with orders (issue 25 items 1 and 2), on a real dev server with the
 * workers and the simulators: `order skip` closes an order keyed in by hand (Stock2Shop told, never
 * raised again, refused for a raised order or one being raised), and `order retry --all` /
 * `order skip --all` list the orders waiting for a fix, ask on a terminal (a pseudo-terminal here),
 * refuse a script without `--yes`, act a few at a time and sum up what each order said.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, lateDeliveryWorkflowId, raiseOrderWorkflowId } from '../../domain';
import { WorkflowNotFoundError } from '@temporalio/client';
import { pollOrders } from '../../workflows';
import { statusQuery, type OrderStatus } from '../../contracts/workflows';
import { cliAgainst, runCliProcess } from '../helpers/cli';
import { startDevServer, TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, untilActivityPending, waitFor } from '../helpers/orders';

const projectRoot = join(__dirname, '..', '..');
const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };

describe('order skip, order retry --all, order skip --all', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;
  let processEnv: NodeJS.ProcessEnv;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { omniItems: [KETTLE], omniConnection: { sourceProbeSeconds: 1 }, guardTiming: { probeIntervalMs: 200 } });
    workers = await runBothWorkers(stack);
    processEnv = { TEMPORAL_ADDRESS: env.address, CONNECTIONS_FILE: join(stack.dataDir, 'connections.json'), PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT };
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  const cli = (...argv: string[]) => cliAgainst(env, stack)(...argv);
  const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
  const documentsFor = (code: string) => stack.omni.orders().filter((d: { reference: string }) => d.reference === code);
  const ghost = (code: string, sku: string) => makeOrder(code, [{ sku, qty: 1, price: 10 }]);
  const stateOf = async (code: string) => (await handleOf(code).query(statusQuery)).state;

  /** Needs a person, its failure written back, and listed by visibility (what the bulk commands read). */
  async function waitingForFix(...codes: string[]): Promise<void> {
    for (const code of codes) {
      await waitFor(async () => ((await stateOf(code)) === 'needs_attention' ? true : undefined), `${code} to need attention`);
      await waitFor(async () => {
        const { raw } = await handleOf(code).describe();
        return (raw.pendingActivities?.length ?? 0) === 0 && stack.stock2shop.order(code).failure_reason ? true : undefined;
      }, `${code}: the failure written back`);
    }
    await waitFor(
      async () => {
        const { lines } = await cli('orders', OMNI_CONNECTION_ID);
        return codes.every((code) => lines.includes(`acme-omni/${code}: needs attention`)) ? true : undefined;
      },
      `${codes.join(', ')} listed by visibility`,
    );
  }

  test('order skip: the order ends as skipped, by whom and why; Stock2Shop is told; no delivery raises it again', async () => {
    await stack.placeOrder(ghost('WEB-SK-1', 'HAND-01'));
    await waitingForFix('WEB-SK-1');
    assert.deepEqual(await cli('order', 'skip', 'acme-omni', 'WEB-SK-1', '--reason', 'keyed in by hand as SO-HAND-1', '--by', 'ana'), {
      code: 0,
      lines: ['raise-order/acme-omni/WEB-SK-1: skipped by ana (keyed in by hand as SO-HAND-1); Stock2Shop is told, and it is never raised'],
    });
    const result = (await handleOf('WEB-SK-1').result()) as OrderStatus;
    assert.equal(result.state, 'skipped');
    assert.deepEqual(result.skipped, { reason: 'keyed in by hand as SO-HAND-1', by: 'ana' });
    assert.deepEqual((await cli('order', 'status', 'acme-omni', 'WEB-SK-1')).lines, [
      'acme-omni/WEB-SK-1: skipped by ana (keyed in by hand as SO-HAND-1); handled outside the engine, never raised (attempts 1, deliveries 1)',
    ]);
    const held = stack.stock2shop.order('WEB-SK-1');
    assert.equal(held.cancelled_reason, 'skipped by ana: keyed in by hand as SO-HAND-1 (handled outside the engine)');
    assert.equal(held.failure_reason, null, 'the skip closes the queue item');

    // The cause fixed: a new run would raise it now. The webhook, the poll and `order submit` deliver it again: nothing starts.
    stack.omni.addItem({ STOCKCODE: 'HAND-01', DESCRIPTION: 'Arrived', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 5 });
    const { runId } = await handleOf('WEB-SK-1').describe();
    assert.equal(await stack.placeOrder(ghost('WEB-SK-1', 'HAND-01')), 'skipped', 'the webhook is told it was skipped, not raised');
    await env.client.workflow.execute(pollOrders, {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: `order-poll/${OMNI_CONNECTION_ID}/after-skip`,
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
    assert.deepEqual((await cli('order', 'submit', 'acme-omni', 'WEB-SK-1')).lines, [
      'raise-order/acme-omni/WEB-SK-1: skipped by ana (keyed in by hand as SO-HAND-1), never raised',
    ]);
    const after = await handleOf('WEB-SK-1').describe();
    assert.deepEqual([after.runId, after.status.name], [runId, 'COMPLETED'], 'the same run, closed');
    assert.equal(documentsFor('WEB-SK-1').length, 0, 'never raised');
    // Not reviewed as a change after a raise: there was none.
    await assert.rejects(env.client.workflow.getHandle(lateDeliveryWorkflowId(OMNI_CONNECTION_ID, 'WEB-SK-1')).describe(), WorkflowNotFoundError);

    // What a person asks of it afterwards is refused, saying why.
    assert.deepEqual(await cli('order', 'skip', 'acme-omni', 'WEB-SK-1', '--reason', 'again'), {
      code: 2,
      lines: ['error: Order WEB-SK-1 is skipped already (by ana: keyed in by hand as SO-HAND-1)'],
    });
    assert.deepEqual(await cli('order', 'retry', 'acme-omni', 'WEB-SK-1'), {
      code: 2,
      lines: ['error: Order WEB-SK-1 is skipped (by ana: keyed in by hand as SO-HAND-1); it is never raised'],
    });
  });

  test('order skip: --by defaults to the OS user; --json for scripts; --reason is required', async () => {
    await stack.placeOrder(ghost('WEB-SK-2', 'HAND-02'));
    await waitingForFix('WEB-SK-2');
    const answer = await cli('order', 'skip', '-c', 'acme-omni', 'WEB-SK-2', '--reason', 'keyed in by hand', '--json');
    assert.equal(answer.code, 0);
    const by = userInfo().username;
    assert.deepEqual(JSON.parse(answer.lines[0]!), { workflowId: 'raise-order/acme-omni/WEB-SK-2', skipped: true, reason: 'keyed in by hand', by });
    assert.deepEqual(((await handleOf('WEB-SK-2').result()) as OrderStatus).skipped, { reason: 'keyed in by hand', by });
    const noReason = await cli('order', 'skip', 'acme-omni', 'WEB-SK-2');
    assert.equal(noReason.code, 2);
    assert.match(noReason.lines.at(-1)!, /^error: required option '--reason <text>' not specified/);
  });

  test('order skip is refused for an order that is raised, or being raised; taken while it waits for its source', async () => {
    await stack.placeOrder(makeOrder('WEB-SK-RAISED', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
    const raised = (await handleOf('WEB-SK-RAISED').result()) as OrderStatus;
    assert.deepEqual(await cli('order', 'skip', 'acme-omni', 'WEB-SK-RAISED', '--reason', 'by hand'), {
      code: 2,
      lines: [`error: Order WEB-SK-RAISED is already raised as ${raised.sourceOrderCode}; there is nothing to skip`],
    });

    await stack.omni.setFaults({ latencyMs: 4000 });
    try {
      await stack.placeOrder(makeOrder('WEB-SK-RAISING', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
      await untilActivityPending(handleOf('WEB-SK-RAISING'), 'raiseInSource', 'WEB-SK-RAISING being raised');
      const refused = await cli('order', 'skip', 'acme-omni', 'WEB-SK-RAISING', '--reason', 'by hand');
      assert.equal(refused.code, 2);
      assert.match(
        refused.lines[0]!,
        /^error: Order WEB-SK-RAISING is being raised in .+ now \(attempt 1\); a skip is taken only while it waits for a fix or for its source$/,
      );
    } finally {
      await stack.omni.clearFaults();
    }
    assert.equal(((await handleOf('WEB-SK-RAISING').result()) as OrderStatus).state, 'raised', 'the refused skip left no trace');

    await stack.omni.setOffline(true);
    try {
      await stack.placeOrder(makeOrder('WEB-SK-DOWN', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
      await waitFor(async () => ((await handleOf('WEB-SK-DOWN').query(statusQuery)).waitingForSource ? true : undefined), 'WEB-SK-DOWN waiting for Omni');
      await waitFor(async () => (((await handleOf('WEB-SK-DOWN').describe()).raw.pendingActivities?.length ?? 0) === 0 ? true : undefined), 'at rest');
      assert.equal((await cli('order', 'skip', 'acme-omni', 'WEB-SK-DOWN', '--reason', 'keyed in at the office', '--by', 'ops')).code, 0);
      assert.equal(((await handleOf('WEB-SK-DOWN').result()) as OrderStatus).state, 'skipped');
    } finally {
      await stack.omni.setOffline(false);
    }
    assert.equal(documentsFor('WEB-SK-DOWN').length, 0);
  });

  test('order retry --all: a script without --yes is refused; on a terminal it lists, asks, retries and sums up what each order said', async () => {
    for (const code of ['WEB-B1', 'WEB-B2', 'WEB-B3']) await stack.placeOrder(ghost(code, 'FAN-BULK'));
    await stack.placeOrder(ghost('WEB-B4', 'LAMP-ELSEWHERE'));
    await waitingForFix('WEB-B1', 'WEB-B2', 'WEB-B3', 'WEB-B4');
    stack.omni.addItem({ STOCKCODE: 'FAN-BULK', DESCRIPTION: 'Fan', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 50 });

    const script = await runCliProcess(['order', 'retry', '--all', '--connection', 'acme-omni', '--reason-matches', 'fan-bulk'], processEnv);
    assert.equal(script.code, 2, script.stderr);
    assert.equal(script.stderr, 'error: order retry --all asks before it acts and this is not a terminal: add --yes to retry these 3 orders\n');
    assert.deepEqual(script.stdout.trimEnd().split('\n'), [
      '3 orders to retry (connection acme-omni; reason containing "fan-bulk"):',
      '  acme-omni/WEB-B1  needs attention: Stock code FAN-BULK not found',
      '  acme-omni/WEB-B2  needs attention: Stock code FAN-BULK not found',
      '  acme-omni/WEB-B3  needs attention: Stock code FAN-BULK not found',
    ]);
    for (const code of ['WEB-B1', 'WEB-B2', 'WEB-B3']) assert.equal(await stateOf(code), 'needs_attention', `${code}: nothing retried`);

    const terminal = inTerminal(['order', 'retry', '--all', 'acme-omni', '--reason-matches', 'FAN-BULK'], processEnv);
    await terminal.until(/Retry these 3 orders\? \[y\/N\] /);
    // Meanwhile a person retries one of them by hand: the bulk retry finds it taken.
    assert.equal((await cli('order', 'retry', 'acme-omni', 'WEB-B3')).code, 0);
    await waitFor(async () => ((await stateOf('WEB-B3')) === 'raised' ? true : undefined), 'WEB-B3 raised');
    terminal.type('y\n');
    const { code, output } = await terminal.done;
    assert.equal(code, 1, output);
    const lines = output.split('\n');
    assert.ok(lines.includes('  acme-omni/WEB-B1  needs attention: Stock code FAN-BULK not found'), output);
    assert.ok(
      lines.some((l) => /^retried {2}acme-omni\/WEB-B1 {2}attempt 2$/.test(l)),
      output,
    );
    assert.ok(
      lines.some((l) => /^retried {2}acme-omni\/WEB-B2 {2}attempt 2$/.test(l)),
      output,
    );
    assert.ok(
      lines.some((l) => /^refused {2}acme-omni\/WEB-B3 {2}it closed meanwhile: raised as SO\d+ \(attempts 2, deliveries 1\)$/.test(l)),
      output,
    );
    assert.ok(lines.includes('2 retried, 1 refused (of 3)'), output);
    assert.ok(lines.includes('error: 1 of 3 orders not retried (each says why above)'), output);
    for (const code of ['WEB-B1', 'WEB-B2', 'WEB-B3']) {
      assert.equal(((await handleOf(code).result()) as OrderStatus).state, 'raised');
      assert.equal(documentsFor(code).length, 1, `${code} raised once`);
    }
    assert.equal(await stateOf('WEB-B4'), 'needs_attention', 'WEB-B4 did not match');

    const declined = inTerminal(['order', 'retry', '--all', '-c', 'acme-omni'], processEnv);
    await declined.until(/Retry this order\? \[y\/N\] /);
    declined.type('n\n');
    const no = await declined.done;
    assert.equal(no.code, 0, no.output);
    assert.match(no.output, /^Not confirmed: nothing retried$/m);
    assert.equal(await stateOf('WEB-B4'), 'needs_attention');
  });

  test('order skip --all --yes --json: the matching orders skipped, the summary as JSON', async () => {
    const answer = await cli(
      'order',
      'skip',
      '--all',
      '--connection',
      'acme-omni',
      '--reason-matches',
      'LAMP-ELSEWHERE',
      '--reason',
      'keyed in by hand',
      '--by',
      'ops',
      '--yes',
      '--json',
    );
    assert.equal(answer.code, 0, answer.lines.join('\n'));
    const summary = JSON.parse(answer.lines.join('\n')) as {
      action: string;
      orders: { order: string }[];
      done: { order: string; by: string }[];
      refused: unknown[];
    };
    assert.equal(summary.action, 'skip');
    assert.deepEqual(
      summary.orders.map((o) => o.order),
      ['acme-omni/WEB-B4'],
    );
    assert.deepEqual(
      summary.done.map((d) => [d.order, d.by]),
      [['acme-omni/WEB-B4', 'ops']],
    );
    assert.deepEqual(summary.refused, []);
    assert.equal(((await handleOf('WEB-B4').result()) as OrderStatus).state, 'skipped');

    const none = await cli('order', 'retry', '--all', '--yes');
    assert.deepEqual(none, { code: 0, lines: ['No order waiting for a fix to retry (every connection)'] });
    const mistakes = [
      await cli('order', 'retry', '--all', 'acme-omni', 'WEB-B1'),
      await cli('order', 'retry', 'acme-omni', 'WEB-B1', '--reason-matches', 'x'),
      await cli('order', 'skip', '--all', '--yes'),
      await cli('order', 'retry', '--all', '--concurrency', '0'),
    ];
    assert.deepEqual(
      mistakes.map((m) => m.code),
      [2, 2, 2, 2],
    );
    assert.match(mistakes[0]!.lines[0]!, /^error: order retry --all names no order/);
    assert.match(mistakes[1]!.lines[0]!, /^error: --reason-matches chooses among the orders of order retry --all/);
    assert.match(mistakes[2]!.lines.at(-1)!, /^error: required option '--reason <text>' not specified/);
    assert.match(mistakes[3]!.lines.at(-1)!, /--concurrency <n>' argument '0' is invalid\. a whole number from 1 to 32/);
  });

  test('the help lists skip and retry --all', async () => {
    const help = (await cli('order', '--help')).lines.join('\n');
    assert.match(help, /^ {2}skip \[options\] /m);
    assert.match(help, /^ {2}retry \[options\] /m);
    const skip = (await cli('order', 'skip', '--help')).lines.join('\n');
    assert.match(skip, /--all/);
    assert.match(skip, /--reason-matches <text>/);
    assert.match(skip, /-y, --yes/);
  });
});

/**
 * The CLI in a pseudo-terminal (Python's pty), as a person runs it: what it shows (stdout and stderr
 * together, as a terminal does), typing into it, and how it exits.
 */
function inTerminal(args: string[], env: NodeJS.ProcessEnv) {
  const relay = 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)';
  const child = spawn('python3', ['-c', relay, process.execPath, '--import', 'tsx', 'client/cli.ts', ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8').replace(/\r\n/g, '\n')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.once('close', (code) => resolve({ code, output })));
  return {
    until: (pattern: RegExp) => waitFor(async () => (pattern.test(output) ? true : undefined), `the terminal to show ${pattern}`),
    type: (text: string) => child.stdin.write(text),
    done,
  };
}
