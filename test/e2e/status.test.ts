/**
 * `cli status` and `cli problems` on a real dev server, with the workers and the simulators: a pass
 * with an invalid record and an order needing a person show the connection degraded, with the counts,
 * the record (field and reason) and the order; fixed in the source and synced again, the product
 * problem closes; the order fixed and retried, its problem closes. Paused, failing and source offline
 * show as such. Everything the commands print comes from Temporal and the store, never the simulators.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import { runCli } from '../../client/cli';
import { problemLedgerOf } from '../../store/product-state';
import type { ConnectionStatus } from '../../client/status';
import { statusQuery, type OrderStatus } from '../../contracts/workflows';
import { cliAgainst, runCliProcess } from '../helpers/cli';
import { startDevServer, TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };
const LAMP = { STOCKCODE: 'LAMP-03', DESCRIPTION: 'Lamp', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: -5, OAvailable: 2 };
const TIME = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d UTC`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('status and problems', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;

  before(async () => {
    env = await startDevServer();
    // Daily schedules: a scheduled pass (almost) never runs during the test.
    stack = await startStack(env, {
      omniItems: [KETTLE, LAMP],
      omniConnection: { syncIntervalMinutes: 1440, sourceProbeSeconds: 1 },
      isyncConnection: { syncIntervalMinutes: 1440 },
    });
    workers = await runBothWorkers(stack);
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  const cli = (...argv: string[]) => cliAgainst(env, stack)(...argv);
  const lineOf = (lines: string[], connectionId: string) => lines.find((line) => line.startsWith(`${connectionId} `)) ?? '';
  const statusJson = async (...argv: string[]) => {
    const { code, lines } = await cli('status', ...argv, '--json');
    assert.equal(code, 0, lines.join('\n'));
    return JSON.parse(lines.join('\n')) as (Omit<ConnectionStatus, 'sourceOfflineSince'> & { sourceOfflineSince: string | null })[];
  };

  /** A manual pass of acme-omni to its end (again, should a scheduled pass be running): its summary. */
  async function syncOnce(): Promise<string> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { code, lines } = await cli('sync', 'run', OMNI_CONNECTION_ID, '--wait');
      if (code === 0 && !/skipped/.test(lines.at(-1) ?? '')) return lines.at(-1)!;
      if (Date.now() > deadline) throw new Error(`no pass ran: ${lines.join('\n')}`);
      await sleep(1000);
    }
  }
  const orderHandle = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
  async function untilWaitingForFix(code: string): Promise<void> {
    await waitFor(async () => ((await orderHandle(code).query(statusQuery)).state === 'needs_attention' ? true : undefined), `${code} needs attention`);
    await waitFor(async () => {
      const { raw } = await orderHandle(code).describe();
      return (raw.pendingActivities?.length ?? 0) === 0 && stack.stock2shop.order(code).failure_reason ? true : undefined;
    }, `${code}: the failure written back`);
  }

  test('an invalid record and an order needing a person: degraded with the counts; both problems close once fixed', async () => {
    assert.equal((await cli('schedules')).code, 0);
    assert.match(await syncOnce(), /acme-omni: 1 page\(s\), 2 read, 1 pushed.*1 invalid \(LAMP-03: SELLINGPRICE1: must not be negative\)/);
    await stack.placeOrder(makeOrder('WEB-ST-1', [{ sku: 'GHOST-01', qty: 1, price: 10 }]));
    await untilWaitingForFix('WEB-ST-1');

    // Visibility follows the order's OrderState a moment later.
    const lines = await waitFor(async () => {
      const { code, lines } = await cli('status');
      assert.equal(code, 0);
      return /orders needing a person: 1/.test(lineOf(lines, 'acme-omni')) ? lines : undefined;
    }, 'status to show the order');
    assert.equal(lines.length, 2, 'one line per connection');
    assert.match(
      lineOf(lines, 'acme-omni'),
      new RegExp(
        `^acme-omni +degraded +last sync ${TIME} \\(\\d+ (s|min) ago\\): 2 read, 1 pushed, 1 invalid, 0 removed · next run ${TIME} \\(in \\d+ (s|min|h)\\) · orders needing a person: 1 · open product problems: 1$`,
      ),
    );
    assert.match(
      lineOf(lines, 'bravo-isync'),
      new RegExp(
        `^bravo-isync +healthy +(no sync yet|last sync [^·]+) · next run ${TIME} \\(in \\d+ (s|min|h)\\) · orders needing a person: 0 · open product problems: 0$`,
      ),
    );
    assert.ok(!lines.join('').includes('\u001b['), 'no colour when not on a terminal');

    const detail = (await cli('status', 'acme-omni')).lines;
    assert.equal(detail[0], 'acme-omni: degraded (Acme Trading (Omni Accounts), omni)');
    const text = detail.join('\n');
    assert.match(text, /why: +the last pass had 1 invalid record\n +2 open problems \(`problems acme-omni`\)\n +1 order needing a person/);
    assert.match(
      text,
      /last sync: +completed \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ (s|min) ago\), product-sync\/acme-omni\/manual\n +2 read, 1 pushed, 0 sent as deleted, 0 unchanged, 0 ignored, 1 invalid, 0 removed/,
    );
    assert.match(text, /next run: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \d+ (s|min|h)\), schedule product-sync\/acme-omni/);
    assert.match(text, /orders needing a person \(1\):\n +WEB-ST-1 +needs attention/);
    assert.match(text, /open problems \(2\):\n +order +WEB-ST-1 +- +Stock code GHOST-01 not found.*first seen .*last seen/);
    assert.match(text, /\n +product +LAMP-03 +SELLINGPRICE1 +must not be negative +first seen/);

    const problems = await cli('problems');
    assert.equal(problems.code, 0);
    assert.equal(problems.lines.length, 2);
    assert.match(problems.lines[0]!, new RegExp(`^acme-omni  order    WEB-ST-1  -  +.*GHOST-01.*  first seen ${TIME}, last seen ${TIME}$`));
    assert.match(problems.lines[1]!, new RegExp(`^acme-omni  product  LAMP-03   SELLINGPRICE1  must not be negative +first seen ${TIME}, last seen ${TIME}$`));
    assert.deepEqual((await cli('problems', 'bravo-isync')).lines, ['No open problem for bravo-isync']);

    // `npm run cli --` as its own process reads the store the workers use (DATA_DIR here), piped: no colour.
    const processEnv = {
      TEMPORAL_ADDRESS: env.address,
      PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT,
      CONNECTIONS_FILE: join(stack.dataDir, 'connections.json'),
      DATA_DIR: stack.dataDir,
      DATABASE_URL: '',
      NO_COLOR: '',
    };
    const piped = await runCliProcess(['problems'], processEnv);
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual(piped.stdout.trimEnd().split('\n'), problems.lines);
    const pipedStatus = await runCliProcess(['status'], processEnv);
    assert.equal(pipedStatus.code, 0, pipedStatus.stderr);
    assert.match(pipedStatus.stdout, /^acme-omni +degraded +last sync .* · orders needing a person: 1 · open product problems: 1$/m);
    assert.ok(!pipedStatus.stdout.includes('\u001b['), 'no colour when piped');

    const [omni, isync] = await statusJson();
    assert.equal(omni!.connectionId, 'acme-omni');
    assert.equal(omni!.health, 'degraded');
    assert.equal(omni!.lastSync?.outcome, 'completed');
    assert.deepEqual([omni!.lastSync?.read, omni!.lastSync?.pushed, omni!.lastSync?.invalid, omni!.lastSync?.removed], [2, 1, 1, 0]);
    assert.equal(omni!.ordersNeedingAPerson, 1);
    assert.equal(omni!.openProductProblems, 1);
    assert.equal(omni!.openOrderProblems, 1);
    assert.equal(omni!.schedule.state, 'active');
    assert.ok(new Date(String(omni!.schedule.nextRun)).getTime() > Date.now(), 'the next run is ahead');
    assert.equal(omni!.problems, undefined, 'the summary lists no problems');
    assert.equal(isync!.health, 'healthy');
    const [single] = await statusJson('acme-omni');
    assert.deepEqual(
      single!.orders?.map((o) => [o.code, o.state]),
      [['WEB-ST-1', 'needs attention']],
    );
    assert.deepEqual(
      single!.problems?.map((p) => [p.kind, p.code, p.field]),
      [
        ['order', 'WEB-ST-1', ''],
        ['product', 'LAMP-03', 'SELLINGPRICE1'],
      ],
    );
    const listed = JSON.parse((await cli('problems', '--json')).lines.join('\n')) as {
      kind: string;
      code: string;
      field: string;
      reason: string;
      firstSeen: string;
      lastSeen: string;
    }[];
    const lamp = listed.find((p) => p.code === 'LAMP-03')!;
    assert.deepEqual([lamp.kind, lamp.field, lamp.reason], ['product', 'SELLINGPRICE1', 'must not be negative']);
    assert.ok(!Number.isNaN(Date.parse(lamp.firstSeen)) && Date.parse(lamp.lastSeen) >= Date.parse(lamp.firstSeen));

    // The record fixed in the source: the next pass pushes it, and its problem closes.
    stack.omni.updateItem('LAMP-03', { SELLINGPRICE1: 99 });
    assert.match(await syncOnce(), /2 read, 1 pushed, 0 sent as deleted, 1 unchanged, 0 ignored$/);
    assert.deepEqual(
      (await cli('problems')).lines.map((line) => line.split(/ +/).slice(0, 3).join(' ')),
      ['acme-omni order WEB-ST-1'],
    );
    const afterSync = lineOf((await cli('status')).lines, 'acme-omni');
    assert.match(afterSync, /^acme-omni +degraded .*: 2 read, 1 pushed, 0 invalid, 0 removed · .* · orders needing a person: 1 · open product problems: 0$/);

    // The order fixed and retried: raised, and its problem closes.
    stack.omni.addItem({ STOCKCODE: 'GHOST-01', DESCRIPTION: 'Found', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 1 });
    assert.equal((await cli('order', 'retry', 'acme-omni', 'WEB-ST-1')).code, 0);
    assert.equal(((await orderHandle('WEB-ST-1').result()) as OrderStatus).state, 'raised');
    assert.deepEqual((await cli('problems')).lines, ['No open problem']);
    const healthy = await waitFor(async () => {
      const line = lineOf((await cli('status')).lines, 'acme-omni');
      return /orders needing a person: 0/.test(line) ? line : undefined;
    }, 'status to drop the raised order');
    assert.match(
      healthy,
      /^acme-omni +healthy +last sync .*: 2 read, 1 pushed, 0 invalid, 0 removed · next run .* · orders needing a person: 0 · open product problems: 0$/,
    );
    assert.deepEqual((await statusJson('acme-omni'))[0]!.reasons, []);
  });

  test('a paused schedule shows paused; a pass that fails shows failing, with why; colour on a terminal', async () => {
    await cli('sync', 'pause', 'acme-omni');
    assert.match(lineOf((await cli('status')).lines, 'acme-omni'), /^acme-omni +paused +last sync .* · schedule paused · orders needing a person: 0/);
    assert.match(
      (await cli('status', 'acme-omni')).lines.join('\n'),
      /next run: +none: schedule product-sync\/acme-omni is paused \(pause from the CLI\); `sync resume acme-omni`/,
    );
    await cli('sync', 'resume', 'acme-omni');

    await stack.omni.setFaults({ authFailure: true });
    try {
      assert.equal((await cli('sync', 'run', 'acme-omni')).code, 0);
      await assert.rejects(env.client.workflow.getHandle('product-sync/acme-omni/manual').result());
    } finally {
      await stack.omni.clearFaults();
    }
    const failing = lineOf((await cli('status')).lines, 'acme-omni');
    assert.match(
      failing,
      new RegExp(
        `^acme-omni +failing +last sync ${TIME} \\(\\d+ (s|min) ago\\) failed: Product sync of acme-omni: page 1 \\(after cursor start\\) failed: .+ · next run`,
      ),
    );
    const [json] = await statusJson('acme-omni');
    assert.equal(json!.health, 'failing');
    assert.equal(json!.lastSync?.outcome, 'failed');
    assert.equal(json!.lastSync?.read, null);
    assert.match(json!.reasons[0]!, /^the last pass failed: Product sync of acme-omni/);

    // The same status on a terminal: the health in colour.
    const coloured: string[] = [];
    const ledger = problemLedgerOf(stack.deps.productStore)!;
    await runCli(['status'], {
      client: async () => env.client,
      connections: () => stack.connections,
      problems: () => ledger,
      color: true,
      out: (l) => coloured.push(l),
    });
    assert.match(lineOf(coloured, 'acme-omni'), /\u001b\[31mfailing\u001b\[0m/);
    assert.match(lineOf(coloured, 'bravo-isync'), /\u001b\[32mhealthy *\u001b\[0m/);

    assert.match(await syncOnce(), /3 read/);
    assert.match(lineOf((await cli('status')).lines, 'acme-omni'), /^acme-omni +healthy /);
  });

  test('an order that finds its source down: source offline since the source watch began, until the source answers', async () => {
    await stack.omni.setOffline(true);
    try {
      await stack.placeOrder(makeOrder('WEB-ST-2', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
      const line = await waitFor(async () => {
        const found = lineOf((await cli('status')).lines, 'acme-omni');
        return /source offline/.test(found) ? found : undefined;
      }, 'status to show the source offline');
      assert.match(line, new RegExp(`^acme-omni +source offline since ${TIME}  last sync `));
      const [json] = await statusJson('acme-omni');
      assert.equal(json!.health, 'source offline');
      assert.ok(Date.now() - Date.parse(String(json!.sourceOfflineSince)) < 120_000);
      assert.match(json!.reasons[0]!, /^the source has not answered since .* \(source-watch\/acme-omni probes it\)$/);
    } finally {
      await stack.omni.setOffline(false);
    }
    assert.equal(((await orderHandle('WEB-ST-2').result()) as OrderStatus).state, 'raised');
    await waitFor(async () => (/^acme-omni +healthy /.test(lineOf((await cli('status')).lines, 'acme-omni')) ? true : undefined), 'the watch to end');
  });

  test('mistakes: an unknown connection is one line, exit 2', async () => {
    assert.deepEqual(await cli('status', 'nope'), { code: 2, lines: ["error: Unknown connection 'nope'. Configured: acme-omni, bravo-isync"] });
    assert.deepEqual(await cli('problems', 'nope'), { code: 2, lines: ["error: Unknown connection 'nope'. Configured: acme-omni, bravo-isync"] });
  });
});
