/**
 * `sync push` and `sync history` end to end: the CLI against a real dev server, the central and Omni
 * agent workers and the simulators. A push sends its SKUs whatever their stored hash, never overlaps
 * another pass (refused, or waits, saying which; a scheduled pass during a push is skipped), and says
 * which SKUs the source does not have; the history lists every pass newest first, with its outcome.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { cliAgainst, runCliProcess } from '../helpers/cli';
import { startDevServer, TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/orders';
import type { PassRecord } from '../../client/commands/sync-history';
import type { PushProductsResult } from '../../contracts/workflows';

const omniItems = ['FAN-01', 'IRON-02', 'KETTLE-03', 'LAMP-04', 'TOASTER-05'].map((code, i) => ({
  STOCKCODE: code,
  DESCRIPTION: `Item ${i + 1}`,
  EXTRADTLS8: code === 'LAMP-04' ? 'IGNORE' : 'ACTIVE',
  SELLINGPRICE1: 100 + i,
  OAvailable: i + 1,
}));
const prices = [{ Warehouse: 'Master', PriceList: 'Retail', RetailSellingPrice: 199, SellingPrice: 149 }];
/** Enough one-item pages for a pass of bravo-isync to continue as new (the server suggests it early here). */
const isyncItems = Array.from({ length: 45 }, (_, i) => ({
  JobProductID: `TENT-${String(i + 1).padStart(2, '0')}`,
  SKU: `TENT-${String(i + 1).padStart(2, '0')}`,
  JobDescription: `Tent ${i + 1}`,
  AvailableUnits: i,
  WebSale: 'Active',
  PriceLists: prices,
}));

describe('sync push and sync history', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;

  before(async () => {
    env = await startDevServer({ extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=30'] });
    stack = await startStack(env, { omniItems, omniConnection: { pageSize: 2 }, isyncItems, isyncConnection: { pageSize: 1 } });
    workers = await runBothWorkers(stack);
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  const cli = (...argv: string[]) => cliAgainst(env, stack)(...argv);
  /** The pass holds the claim once it reads pages. */
  const untilReadingPages = (workflowId: string, notRunId?: string) =>
    waitFor(async () => {
      const handle = env.client.workflow.getHandle(workflowId);
      const { status, runId } = await handle.describe();
      if (status.name !== 'RUNNING' || runId === notRunId) return undefined;
      const events = (await handle.fetchHistory()).events ?? [];
      return events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncProductPages') ? true : undefined;
    }, `${workflowId} to read pages`);
  const pushesOf = (sku: string) => stack.stock2shop.receivedProducts().filter((p) => p.source.source_id === 101 && p.product.variants.sku === sku).length;

  test('sync push sends the SKUs whatever their stored hash, and names those the source does not have', async () => {
    assert.equal((await cli('sync', 'run', 'acme-omni', '--wait')).code, 0);
    const before = pushesOf('KETTLE-03');
    assert.equal(before, 1);

    const partly = await cli('sync', 'push', 'acme-omni', 'KETTLE-03', 'LAMP-04', 'GHOST-9', 'KETTLE-03');
    assert.equal(partly.code, 1, partly.lines.join('\n'));
    assert.deepEqual(partly.lines, [
      'product-push/acme-omni: 1 of 3 pushed to Stock2Shop; read 5 records in 3 pages to find them ' +
        '(Omni Accounts has no lookup by code: the push reads the catalog until it has found every SKU)',
      '  KETTLE-03  pushed',
      '  LAMP-04    not pushed: marked IGNORE in the source',
      '  GHOST-9    not in Omni Accounts',
      'error: 2 of 3 SKU(s) not pushed: LAMP-04, GHOST-9',
    ]);
    assert.equal(pushesOf('KETTLE-03'), before + 1, 'pushed again, though its content did not change');

    // Found on the first page: the push reads no further.
    const json = await cli('sync', 'push', 'acme-omni', 'FAN-01', '--json');
    assert.equal(json.code, 0, json.lines.join('\n'));
    const result = JSON.parse(json.lines.join('\n')) as PushProductsResult & { workflowId: string };
    assert.equal(result.workflowId, 'product-push/acme-omni');
    assert.deepEqual(
      [result.outcome, result.found, result.notInSource, result.pages, result.listed],
      ['done', [{ code: 'FAN-01', outcome: 'pushed' }], [], 1, 2],
    );
    assert.equal(pushesOf('FAN-01'), 2);

    // iSync's pages run on the iSync queue.
    const isync = await cli('sync', 'push', 'bravo-isync', 'TENT-02');
    assert.equal(isync.code, 0, isync.lines.join('\n'));
    assert.match(
      isync.lines[0]!,
      /^product-push\/bravo-isync: 1 of 1 pushed to Stock2Shop; read 2 records in 2 pages to find them \(iSync has no lookup by code/,
    );
  });

  test('a push never overlaps another pass: refused or waiting while one runs, saying which; a scheduled pass during a push is skipped', async () => {
    // The schedules exist, paused: only the trigger below starts a scheduled pass.
    await cli('schedules');
    for (const id of ['acme-omni', 'bravo-isync']) await cli('sync', 'pause', id);
    await stack.omni.setFaults({ latencyMs: 1500 });
    try {
      assert.deepEqual((await cli('sync', 'run', 'acme-omni')).lines, ['Started product-sync/acme-omni/manual']);
      await untilReadingPages('product-sync/acme-omni/manual');
      const refused = await cli('sync', 'push', 'acme-omni', 'IRON-02');
      assert.equal(refused.code, 1);
      assert.deepEqual(refused.lines, [
        'error: Pass product-sync/acme-omni/manual of acme-omni is running: nothing pushed, so that two passes never overlap. ' +
          'Push again once it has ended, or with --wait to push right after it',
      ]);
      const before = pushesOf('IRON-02');
      const waited = await cli('sync', 'push', 'acme-omni', 'IRON-02', '--wait');
      assert.equal(waited.code, 0, waited.lines.join('\n'));
      assert.equal(waited.lines[0], 'product-push/acme-omni: started; if a pass of acme-omni is running, it waits for it to end');
      assert.match(
        waited.lines[1]!,
        /^product-push\/acme-omni: 1 of 1 pushed to Stock2Shop; read 2 records in 1 page to find them \(.*\); waited \d+ s for pass product-sync\/acme-omni\/manual to end$/,
      );
      const manual = await env.client.workflow.getHandle('product-sync/acme-omni/manual').describe();
      const push = await env.client.workflow.getHandle('product-push/acme-omni').describe();
      assert.ok(push.closeTime! > manual.closeTime!, 'the push ended after the pass');
      // The pass pushed IRON-02 (new content) and so did the push after it.
      assert.ok(pushesOf('IRON-02') >= before + 1);

      // A push holds the connection's pass claim: the schedule's pass started meanwhile skips.
      const pushing = cli('sync', 'push', 'acme-omni', 'TOASTER-05');
      await untilReadingPages('product-push/acme-omni', push.runId);
      const schedule = env.client.schedule.getHandle('product-sync/acme-omni');
      const taken = (await schedule.describe()).info.numActionsTaken;
      await schedule.trigger();
      const scheduled = await waitFor(async () => {
        const info = (await schedule.describe()).info;
        return info.numActionsTaken > taken ? info.recentActions.at(-1)?.action.workflow.workflowId : undefined;
      }, 'the scheduled pass');
      const skipped = (await env.client.workflow.getHandle(scheduled).result()) as { skippedFor?: string };
      assert.equal(skipped.skippedFor, 'product-push/acme-omni');
      assert.equal((await pushing).code, 0);
    } finally {
      await stack.omni.clearFaults();
    }
  });

  test('sync history: one line per pass, newest first, with its outcome and Web UI link; --last, --json', async () => {
    // A pass that continues as new is one pass; a terminated one says so; a running one too.
    const long = await env.client.workflow.start('productSync', {
      taskQueue: 'central',
      workflowId: 'product-sync/bravo-isync/manual',
      args: [{ connectionId: 'bravo-isync' }],
    });
    await long.result();
    const chain = await long.describe();
    assert.notEqual(chain.raw.workflowExecutionInfo?.firstRunId, chain.runId, 'the pass continued as new');
    await stack.isync.setFaults({ latencyMs: 5000 });
    try {
      await cli('sync', 'run', 'bravo-isync');
      // Visibility lists a run a moment after its start.
      const running = await waitFor(async () => {
        const answer = await cli('sync', 'history', 'bravo-isync', '--last', '1');
        return / running /.test(answer.lines[1] ?? '') ? answer : undefined;
      }, 'the running pass in the history');
      assert.equal(running.code, 0);
      assert.match(running.lines[1]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC {2}\d+ (ms|s) so far +manual +- +- +- +- +running {2}http:\/\/localhost:8233\//);
      await env.client.workflow.getHandle('product-sync/bravo-isync/manual').terminate('stopped by the operator');
    } finally {
      await stack.isync.clearFaults();
    }

    // Visibility shows the termination a moment after it, too.
    const { code, lines } = await waitFor(async () => {
      const answer = await cli('sync', 'history', 'bravo-isync');
      return / terminated: /.test(answer.lines[1] ?? '') ? answer : undefined;
    }, 'the terminated pass in the history');
    assert.equal(code, 0);
    assert.match(lines[0]!, /^started +took +kind +read +pushed +invalid +removed +outcome +Web UI$/);
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.match(lines[1]!, / manual +- +- +- +- +terminated: stopped by the operator {2,}http/);
    assert.match(
      lines[2]!,
      / manual +45 +44 +0 +0 +completed {2,}http:\/\/localhost:8233\/namespaces\/default\/workflows\/product-sync%2Fbravo-isync%2Fmanual\/[0-9a-f-]+\/history$/,
    );
    assert.match(lines[3]!, / push +2 +1 +0 +- +1 of 1 pushed {2,}http/);

    type Listed = Omit<PassRecord, 'startedAt'> & { startedAt: string };
    const passes = await waitFor(async () => {
      const listed = JSON.parse((await cli('sync', 'history', 'acme-omni', '--json')).lines.join('\n')) as Listed[];
      return listed.length === 8 && listed.every((p) => p.outcome !== 'running') ? listed : undefined;
    }, 'the eight passes of acme-omni, closed, in visibility');
    const starts = passes.map((p) => Date.parse(p.startedAt));
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => b - a),
      'newest first',
    );
    assert.deepEqual(
      passes.map((p) => `${p.kind} ${p.outcome}`),
      ['scheduled skipped', 'push pushed', 'push pushed', 'push refused', 'manual completed', 'push pushed', 'push pushed', 'manual completed'],
    );
    assert.equal(passes[0]!.detail, 'pass product-push/acme-omni was running');
    assert.equal(passes[3]!.detail, 'pass product-sync/acme-omni/manual was running');
    assert.deepEqual([passes.at(-1)!.read, passes.at(-1)!.pushed, passes.at(-1)!.invalid, passes.at(-1)!.removed], [5, 4, 0, 0]);
    const last2 = await cli('sync', 'history', 'acme-omni', '--last', '2');
    assert.equal(last2.lines.length, 3);

    // The long pass's start is its first run's; its link its last run's.
    const [, isyncPass] = JSON.parse((await cli('sync', 'history', 'bravo-isync', '--json')).lines.join('\n')) as PassRecord[];
    assert.equal(isyncPass!.firstRunId, chain.raw.workflowExecutionInfo?.firstRunId);
    assert.equal(isyncPass!.runId, chain.runId);
  });

  test('as a process: mistakes exit 2 on stderr; --help lists history and push', async () => {
    const processEnv = { TEMPORAL_ADDRESS: env.address, CONNECTIONS_FILE: join(stack.dataDir, 'connections.json'), PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT };
    const [badLast, emptySku, unknown, help, top] = await Promise.all([
      runCliProcess(['sync', 'history', 'acme-omni', '--last', '0'], processEnv),
      runCliProcess(['sync', 'push', 'acme-omni', ' '], processEnv),
      runCliProcess(['sync', 'push', 'nope', 'FAN-01'], processEnv),
      runCliProcess(['sync', '--help'], processEnv),
      runCliProcess(['--help'], processEnv),
    ]);
    assert.deepEqual(badLast, { code: 2, stdout: '', stderr: "error: --last must be a whole number from 1 to 1000 (got '0')\n" });
    assert.deepEqual(emptySku, { code: 2, stdout: '', stderr: 'error: A SKU may not be empty\n' });
    assert.deepEqual(unknown, { code: 2, stdout: '', stderr: "error: Unknown connection 'nope'. Configured: acme-omni, bravo-isync\n" });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /history \[options\] <connectionId>/);
    assert.match(help.stdout, /push \[options\] <connectionId> <sku\.\.\.>/);
    assert.match(top.stdout, /sync +product syncs \(source → Stock2Shop\): run,\s+watch, history, push/);
  });
});
