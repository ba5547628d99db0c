/** The CLI end to end: its commands against a real dev server, the workers and the simulators. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { cliAgainst, runCliProcess } from '../helpers/cli';
import { startDevServer, TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { freePort } from '../helpers/ports';
import { startStack, runBothWorkers, WEBHOOK_SECRETS, type Stack } from '../helpers/stack';
import { callWebhook, orderNotification, orderWebhookUrl, startSignedIntake } from '../helpers/webhook';
import { makeOrder, waitFor } from '../helpers/orders';

describe('the command line', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;
  const folder = mkdtempSync(join(tmpdir(), 's2s-cli-'));

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [
        { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 },
        { STOCKCODE: 'TOASTER-02', DESCRIPTION: 'Toaster', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 299, OAvailable: 4 },
      ],
    });
    workers = await runBothWorkers(stack);
    // As in the shell of an operator of this stack: `order submit <file>` places the file in this simulator.
    process.env.STOCK2SHOP_URL = stack.stock2shop.apiUrl;
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  const cli = (...argv: string[]) => cliAgainst(env, stack)(...argv);

  test('connections lists both sources', async () => {
    const { code, lines } = await cli('connections');
    assert.equal(code, 0);
    assert.match(lines[0]!, /^acme-omni\tomni\tevery 3 min/);
    assert.match(lines[1]!, /^bravo-isync\tisync\tevery 60 min/);
  });

  test('sync run --wait prints the summary; schedules, pause, resume and trigger act on the schedule', async () => {
    const run = await cli('sync', 'run', 'acme-omni', '--wait');
    assert.equal(run.code, 0);
    assert.match(run.lines.at(-1)!, /acme-omni: 1 page\(s\), 2 read, 2 pushed/);
    const watched = await cli('sync', 'watch', 'acme-omni');
    assert.match(watched.lines.at(-1)!, /acme-omni: 1 page\(s\), 2 read/);

    assert.deepEqual((await cli('schedules')).lines, [
      'acme-omni: product sync created, order poll created',
      'bravo-isync: product sync created, order poll created',
    ]);
    const schedule = env.client.schedule.getHandle('product-sync/acme-omni');
    assert.deepEqual((await cli('sync', 'pause', 'acme-omni')).lines, ['product-sync/acme-omni: paused']);
    assert.equal((await schedule.describe()).state.paused, true);
    await cli('sync', 'resume', 'acme-omni');
    assert.equal((await schedule.describe()).state.paused, false);
    await cli('sync', 'trigger', 'acme-omni');
    await waitFor(async () => ((await schedule.describe()).info.numActionsTaken >= 1 ? true : undefined), 'the triggered run');
  });

  test('order submit, status, orders and retry take an order from a fix to raised', async () => {
    const file = join(folder, 'order.json');
    writeFileSync(file, JSON.stringify(makeOrder('WEB-CLI-1', [{ sku: 'FAN-99', qty: 1, price: 100 }])));
    assert.deepEqual((await cli('order', 'submit', file, '--connection', 'acme-omni')).lines, ['raise-order/acme-omni/WEB-CLI-1: delivered']);
    const waiting = await waitFor(async () => {
      const { lines } = await cli('order', 'status', 'acme-omni', 'WEB-CLI-1');
      return /needs attention/.test(lines[0]!) ? lines[0] : undefined;
    }, 'the order to need attention');
    assert.match(waiting!, /acme-omni\/WEB-CLI-1: needs attention: Stock code FAN-99 not found/);
    assert.match((await cli('orders')).lines.join('\n'), /WEB-CLI-1: needs attention/);

    stack.omni.addItem({ STOCKCODE: 'FAN-99', DESCRIPTION: 'Fan', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 100, OAvailable: 3 });
    assert.deepEqual((await cli('order', 'retry', 'acme-omni', 'WEB-CLI-1')).lines, ['raise-order/acme-omni/WEB-CLI-1: retry accepted (attempt 2)']);
    const raised = await waitFor(async () => {
      const { lines } = await cli('order', 'status', 'acme-omni', 'WEB-CLI-1');
      return /raised as/.test(lines[0]!) ? lines[0] : undefined;
    }, 'the order to be raised');
    assert.match(raised!, /raised as SO\d+/);
    assert.equal(stack.omni.orders().filter((d) => d.reference === 'WEB-CLI-1').length, 1);
    assert.deepEqual((await cli('orders', '--connection', 'acme-omni')).lines, ['No order needs attention']);
    assert.deepEqual((await cli('order', 'submit', file, '--connection', 'acme-omni')).lines, [
      'WEB-CLI-1: already in Stock2Shop; announcing what Stock2Shop holds',
      'raise-order/acme-omni/WEB-CLI-1: already raised, not raised again',
    ]);
    // The code form announces an order Stock2Shop holds; what is raised is Stock2Shop's content.
    void stack.stock2shop.addOrder({ ...makeOrder('WEB-CLI-2', [{ sku: 'KETTLE-01', qty: 2, price: 349.99 }]), sources: [{ source_id: 101 }] });
    assert.deepEqual((await cli('order', 'submit', 'WEB-CLI-2', '--connection', 'acme-omni')).lines, ['raise-order/acme-omni/WEB-CLI-2: delivered']);
    await waitFor(
      async () => (/raised as SO/.test((await cli('order', 'status', 'acme-omni', 'WEB-CLI-2')).lines[0]!) ? true : undefined),
      'WEB-CLI-2 to be raised',
    );
    assert.equal(stack.omni.orders().filter((d) => d.reference === 'WEB-CLI-2').length, 1);
    const again = await cli('order', 'retry', 'acme-omni', 'WEB-CLI-1');
    assert.equal(again.code, 2);
    assert.match(again.lines[0]!, /^error: Order WEB-CLI-1 is already raised as SO\d+; there is nothing to retry$/);
    const unknown = await cli('order', 'retry', 'acme-omni', 'WEB-NEVER');
    assert.deepEqual(unknown.lines, ['error: No order WEB-NEVER has been delivered to acme-omni']);

    // The CLI as a process: the answers on stdout, every error on stderr (stdout empty) with exit code 2;
    // a retry of an unknown order says what `order status` says.
    const processEnv = { TEMPORAL_ADDRESS: env.address, CONNECTIONS_FILE: join(stack.dataDir, 'connections.json'), PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT };
    const [status, retryRaised, retryUnknown, statusUnknown] = await Promise.all([
      runCliProcess(['order', 'status', 'acme-omni', 'WEB-CLI-1'], processEnv),
      runCliProcess(['order', 'retry', 'acme-omni', 'WEB-CLI-1'], processEnv),
      runCliProcess(['order', 'retry', 'acme-omni', 'WEB-NEVER'], processEnv),
      runCliProcess(['order', 'status', 'acme-omni', 'WEB-NEVER'], processEnv),
    ]);
    assert.deepEqual([status.code, status.stderr], [0, '']);
    assert.match(status.stdout, /^acme-omni\/WEB-CLI-1: raised as SO\d+.* \(attempts 2, deliveries \d+\)\n$/);
    assert.deepEqual([retryRaised.code, retryRaised.stdout], [2, '']);
    assert.match(retryRaised.stderr, /^error: Order WEB-CLI-1 is already raised as SO\d+; there is nothing to retry\n$/);
    for (const answer of [retryUnknown, statusUnknown]) {
      assert.deepEqual(answer, { code: 2, stdout: '', stderr: 'error: No order WEB-NEVER has been delivered to acme-omni\n' });
    }
  });

  test('the webhook takes an order announced three times and raises it once; customers are refused', async () => {
    const intake = await startSignedIntake(env.client, stack);
    try {
      const order = { ...makeOrder('WEB-HOOK-1', [{ sku: 'TOASTER-02', qty: 1, price: 260 }]), sources: [{ source_id: 101 }] };
      void stack.stock2shop.addOrder(order);
      // Three announcements, each signed at its own time (the very same signed call again is a replay, refused).
      for (let i = 0; i < 3; i++) {
        const timestamp = Math.floor(Date.now() / 1000) - i;
        const answer = await callWebhook(orderWebhookUrl(intake.url, 101), {
          body: orderNotification(101, order),
          secret: WEBHOOK_SECRETS['acme-omni'],
          timestamp,
        });
        assert.equal(answer.status, 202);
      }
      await env.client.workflow.getHandle('raise-order/acme-omni/WEB-HOOK-1').result();
      assert.equal(stack.omni.orders().filter((d) => d.reference === 'WEB-HOOK-1').length, 1);
      const customers = await fetch(`${intake.url}/webhooks/customers`, { method: 'POST', body: '{}' });
      assert.equal(customers.status, 422);
      assert.match(((await customers.json()) as { error: string }).error, /Customer sync is not supported/);
    } finally {
      await intake.close();
    }
  });

  test('a manual pass and a scheduled one never overlap: the later one is skipped, saying why', async () => {
    await cli('schedules');
    // Omni slow enough that the manual pass still runs when the scheduled one starts, on a loaded machine too.
    await stack.omni.setFaults({ latencyMs: 8000 });
    try {
      assert.deepEqual((await cli('sync', 'run', 'acme-omni')).lines, ['Started product-sync/acme-omni/manual']);
      const twice = await cli('sync', 'run', 'acme-omni');
      assert.equal(twice.code, 2);
      assert.match(twice.lines[0]!, /A manual pass of acme-omni is running already \(product-sync\/acme-omni\/manual\)/);
      const schedule = env.client.schedule.getHandle('product-sync/acme-omni');
      // A scheduled pass still running (the first test's, on a loaded machine) would make the schedule skip the trigger itself (overlap SKIP).
      await waitFor(async () => ((await schedule.describe()).info.runningActions.length === 0 ? true : undefined), 'no scheduled pass of acme-omni running');
      const before = (await schedule.describe()).info.numActionsTaken;
      await schedule.trigger();
      const scheduled = await waitFor(async () => {
        const info = (await schedule.describe()).info;
        return info.numActionsTaken > before ? info.recentActions.at(-1)?.action.workflow.workflowId : undefined;
      }, 'the scheduled run');
      const skipped = (await env.client.workflow.getHandle(scheduled).result()) as { summary: string; skippedFor?: string };
      assert.equal(skipped.skippedFor, 'product-sync/acme-omni/manual');
      assert.match(skipped.summary, /acme-omni: skipped, pass product-sync\/acme-omni\/manual is running/);
      const manual = (await env.client.workflow.getHandle('product-sync/acme-omni/manual').result()) as { summary: string };
      assert.match(manual.summary, /acme-omni: 1 page\(s\), \d+ read/);
    } finally {
      await stack.omni.clearFaults();
    }
  });

  test('customers sync answers that neither source supports it', async () => {
    const { code, lines } = await cli('customers', 'sync');
    assert.equal(code, 2);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^error: Customer sync is not supported: neither iSync nor Omni Accounts/);
  });

  test('mistakes answer in one line a person understands', async () => {
    const unknown = await cli('sync', 'run', 'nope');
    assert.equal(unknown.code, 2);
    assert.deepEqual(unknown.lines, ["error: Unknown connection 'nope'. Configured: acme-omni, bravo-isync"]);
    const missing = await cli('order', 'status', 'acme-omni', 'WEB-NEVER');
    assert.deepEqual(missing.lines, ['error: No order WEB-NEVER has been delivered to acme-omni']);
  });
});

describe('the command line as a process: every error on stderr, exit code 2 for a usage or input problem, 1 otherwise', () => {
  const folder = mkdtempSync(join(tmpdir(), 's2s-cli-process-'));
  const demo = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'connections.demo.json'), 'utf8')) as { connections: Record<string, unknown>[] };
  const good = join(folder, 'connections.json');
  writeFileSync(good, JSON.stringify(demo));
  const env = { CONNECTIONS_FILE: good, PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT, DATA_DIR: folder };
  /** A usage or input problem: one line on stderr, nothing on stdout, exit code 2. */
  const refusedInOneLine = (answer: { code: number | null; stdout: string; stderr: string }, line: RegExp | string) => {
    assert.equal(answer.code, 2, answer.stderr);
    assert.equal(answer.stdout, '');
    assert.equal(answer.stderr.split('\n').length, 2, answer.stderr);
    if (typeof line === 'string') assert.equal(answer.stderr, `${line}\n`);
    else assert.match(answer.stderr, line);
  };

  test('order submit of a missing file, a folder or a file that is not JSON: one line, no raw ENOENT', async () => {
    const notJson = join(folder, 'not-json.json');
    writeFileSync(notJson, '{ "channel_order_code": ');
    const orderFolder = join(folder, 'orders');
    mkdirSync(orderFolder);
    const missing = join(folder, 'no-such-order.json');
    const [gone, dir, broken, invalid] = await Promise.all([
      runCliProcess(['order', 'submit', missing, '--connection', 'demo-omni'], env),
      runCliProcess(['order', 'submit', orderFolder, '--connection', 'demo-omni'], env),
      runCliProcess(['order', 'submit', notJson, '--connection', 'demo-omni'], env),
      (async () => {
        const file = join(folder, 'invalid-order.json');
        const order = JSON.parse(JSON.stringify(makeOrder('WEB-BAD-1', [{ sku: 'A', qty: 1, price: 1 }]))) as { line_items: { qty: number }[] };
        order.line_items[0]!.qty = 0;
        writeFileSync(file, JSON.stringify(order));
        return runCliProcess(['order', 'submit', file, '--connection', 'demo-omni'], env);
      })(),
    ]);
    refusedInOneLine(gone, `error: No order file at ${missing}`);
    assert.doesNotMatch(gone.stderr, /ENOENT/);
    refusedInOneLine(dir, `error: ${orderFolder} is a folder, not an order file`);
    refusedInOneLine(broken, `error: ${notJson} is not valid JSON`);
    refusedInOneLine(invalid, 'error: Order WEB-BAD-1: line_items[0].qty: must be more than 0');
  });

  test('an unknown command, option or connection, a missing argument: stderr and exit code 2; --help on stdout, 0', async () => {
    const [command, option, required, connection, help] = await Promise.all([
      runCliProcess(['frobnicate'], env),
      runCliProcess(['connections', '--verbose'], env),
      runCliProcess(['order', 'submit', 'examples/order.json'], env),
      runCliProcess(['sync', 'run', 'nope'], env),
      runCliProcess(['--help'], env),
    ]);
    refusedInOneLine(command, /^error: unknown command 'frobnicate'/);
    refusedInOneLine(option, /^error: unknown option '--verbose'/);
    refusedInOneLine(required, /^error: required option '-c, --connection <connectionId>' not specified/);
    refusedInOneLine(connection, "error: Unknown connection 'nope'. Configured: demo-omni, demo-isync");
    assert.deepEqual([help.code, help.stderr], [0, '']);
    assert.match(help.stdout, /^Usage: s2s/);
  });

  test('a connections file with several mistakes: every one on stderr, naming the connection and the field; exit code 2', async () => {
    const bad = join(folder, 'connections-bad.json');
    const [omni, isync] = demo.connections as [Record<string, unknown>, Record<string, unknown>];
    writeFileSync(
      bad,
      JSON.stringify({
        connections: [
          { ...omni, endpoint: '127.0.0.1:8080', syncIntervalMinutes: 0 },
          { ...isync, credentialsRef: { username: 'DEMO_ISYNC_USER' } },
          { ...isync, id: 'demo-omni' },
          { ...isync, id: undefined },
        ],
      }),
    );
    const answer = await runCliProcess(['connections'], { ...env, CONNECTIONS_FILE: bad });
    assert.equal(answer.code, 2);
    assert.equal(answer.stdout, '');
    assert.deepEqual(answer.stderr.trimEnd().split('\n'), [
      `error: ${bad}: 4 connections have mistakes (fix each; running workers skip a bad connection and serve the others):`,
      '  Connection demo-omni: endpoint: must be an http(s) URL; syncIntervalMinutes: must be more than 0',
      '  Connection demo-isync: credentialsRef.password: required',
      '  Connection demo-omni: id: appears twice: entry #3 repeats the id of entry #1',
      '  Connection #4: id: required',
    ]);
  });

  test('no payload key is a configuration problem (2); an unreachable Temporal is not (1): both one line on stderr', async () => {
    const port = await freePort();
    const [noKey, unreachable] = await Promise.all([
      runCliProcess(['order', 'status', 'demo-omni', 'WEB-1'], { ...env, PAYLOAD_CODEC_KEYS: '', DATA_DIR: mkdtempSync(join(tmpdir(), 's2s-cli-nokey-')) }),
      runCliProcess(['order', 'status', 'demo-omni', 'WEB-1'], { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${port}` }),
    ]);
    refusedInOneLine(noKey, /^error: No payload encryption key: set PAYLOAD_CODEC_KEYS/);
    assert.equal(unreachable.code, 1, unreachable.stderr);
    assert.equal(unreachable.stdout, '');
    assert.equal(unreachable.stderr.split('\n').length, 2, unreachable.stderr);
    assert.match(unreachable.stderr, new RegExp(`^error: Cannot reach Temporal at 127\\.0\\.0\\.1:${port} \\(TEMPORAL_ADDRESS\\): `));
  });
});
