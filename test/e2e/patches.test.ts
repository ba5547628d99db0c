/**
 * `patches check <id>` on a real dev server: an order started by the code before the patch
 * 'order-local-activities' and still waiting for a fix blocks its deprecation, named; once that run
 * is closed and only a run of the current code is open, the patch can be deprecated (not removed:
 * that run holds the marker `patched` recorded). Decided by replaying the open runs, never by dates.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { raiseOrderWorkflowId } from '../../domain';
import { statusQuery } from '../../contracts/workflows';
import { patchAnswerEdits, patchCallsIn, patchesInWorkflows } from '../../worker/patch-sites';
import type { PatchVerdict } from '../../client/patch-check';
import { cliAgainst, runCliProcess } from '../helpers/cli';
import { startDevServer, TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, startStack, withWorkers, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { variantWorkflowBundle } from '../helpers/variant-bundle';
import { activityStepNames, patchIdsOf } from '../helpers/history-reading';

const PATCH = 'order-local-activities';
const DAY = String.raw`\d{4}-\d{2}-\d{2}`;

describe('patches check: whether a patch can be deprecated, from the runs that are open', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env);
  });
  after(async () => {
    await stack?.close();
    await env?.teardown();
  });

  const cli = (...argv: string[]) => cliAgainst(env, stack)(...argv);
  const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
  /** Places an order of an unknown SKU on `central` (and an agent), and returns once it waits for a fix: Stock2Shop told, nothing pending. */
  async function placeOrderNeedingAFix(code: string, central: Worker): Promise<void> {
    await withWorkers([central, await stack.startAgentWorker()], async () => {
      await stack.placeOrder(makeOrder(code, [{ sku: `GHOST-${code}`, qty: 1, price: 10 }]));
      await waitFor(async () => {
        const [{ state }, { raw }] = await Promise.all([handleOf(code).query(statusQuery), handleOf(code).describe()]);
        const waiting = state === 'needs_attention' && !raw.pendingActivities?.length && stack.stock2shop.order(code).failure_reason;
        return waiting ? true : undefined;
      }, `${code} to wait for a fix`);
    });
  }
  const untilOpenOrders = (count: number) =>
    waitFor(
      async () => ((await env.client.workflow.count(`WorkflowType = 'raiseOrder' AND ExecutionStatus = 'Running'`)).count === count ? true : undefined),
      `${count} open order(s) in visibility`,
    );

  test('an order of the code before the patch, waiting for a fix, is named as what stands in the way', async () => {
    // The code before the patch: it answers no to 'order-local-activities' and takes the old branch.
    const patch = patchesInWorkflows().find((p) => p.id === PATCH)!;
    const before = await variantWorkflowBundle(`before-${PATCH}`, patchAnswerEdits(patch, 'absent'));
    await placeOrderNeedingAFix('WEB-OLD-1', await stack.startCentralWorker({ workflowBundle: before }));
    const history = await handleOf('WEB-OLD-1').fetchHistory();
    assert.ok(activityStepNames(history).includes('prepareOrder'), 'the read ran as an activity task, the old branch');
    assert.ok(!patchIdsOf(history).includes(PATCH) && patchIdsOf(history).includes('order-state-search-attribute'));
    await untilOpenOrders(1);

    const blocked = await cli('patches', 'check', PATCH);
    assert.equal(blocked.code, 1);
    assert.match(
      blocked.lines[0]!,
      new RegExp(`^${PATCH} \\(raiseOrder\\): not yet: 1 of 1 open run took the old branch: raise-order/acme-omni/WEB-OLD-1 \\(started ${DAY}\\)$`),
    );
    assert.match(blocked.lines[1]!, /^ {2}closed runs of raiseOrder kept \(\d+(\.\d+)?-day retention\): 0, 0 without its marker: .*--closed replays them too$/);
    assert.equal(blocked.lines.at(-1), `error: ${PATCH} cannot be deprecated yet`);

    // The same run took the other patch's new branch (its marker is there): that one can be deprecated.
    const other = await cli('patches', 'check', 'order-state-search-attribute');
    assert.equal(other.code, 0);
    assert.equal(other.lines[0], 'order-state-search-attribute (raiseOrder): can be deprecated: the 1 open run replays with it deprecated');

    const json = await cli('patches', 'check', PATCH, '--json');
    assert.equal(json.code, 1);
    const [verdict] = JSON.parse(json.lines[0]!) as PatchVerdict[];
    assert.deepEqual(
      {
        ready: verdict!.ready,
        openRuns: verdict!.openRuns,
        files: verdict!.files,
        blocking: verdict!.blocking.map((run) => [run.workflowId, run.open, run.why]),
      },
      { ready: false, openRuns: 1, files: ['workflows/raiseOrder.ts'], blocking: [['raise-order/acme-omni/WEB-OLD-1', true, 'needs-patch']] },
    );
    assert.match(verdict!.blocking[0]!.error, /Nondeterminism/);

    const unknown = await cli('patches', 'check', 'no-such-patch');
    assert.equal(unknown.code, 2);
    assert.match(unknown.lines[0]!, new RegExp(`^error: Unknown patch 'no-such-patch'\\. In the workflow code: .*\\b${PATCH}\\b.*\\bwake-waiters-together\\b`));
  });

  test('once that run is closed and a run of the current code is open, it can be deprecated, not yet removed', async () => {
    await handleOf('WEB-OLD-1').terminate('closed for the test');
    await placeOrderNeedingAFix('WEB-NEW-1', await stack.startCentralWorker());
    await untilOpenOrders(1);

    const ready = await cli('patches', 'check', PATCH);
    assert.equal(ready.code, 0);
    assert.equal(ready.lines[0], `${PATCH} (raiseOrder): can be deprecated: the 1 open run replays with it deprecated`);
    // The closed run is counted (a query replays it), and replayed with --closed.
    assert.match(
      ready.lines[1]!,
      /^ {2}closed runs of raiseOrder kept \(.*\): 1, 1 without its marker: a query \(e\.g\. `order status`\) replays a closed run/,
    );
    const withClosed = await cli('patches', 'check', PATCH, '--closed');
    assert.equal(withClosed.code, 1);
    assert.match(
      withClosed.lines[0]!,
      new RegExp(
        `^${PATCH} \\(raiseOrder\\): not yet: 1 of 2 runs \\(1 open, 1 closed\\) took the old branch: raise-order/acme-omni/WEB-OLD-1 \\(started ${DAY}, closed\\)$`,
      ),
    );

    // The open run recorded the marker with patched(): the patch cannot go altogether yet.
    const removal = await cli('patches', 'check', PATCH, '--remove');
    assert.equal(removal.code, 1);
    assert.match(
      removal.lines[0]!,
      new RegExp(`^${PATCH} \\(raiseOrder\\): not yet: 1 of 1 open run needs it .*: raise-order/acme-omni/WEB-NEW-1 \\(started ${DAY}\\)$`),
    );
    assert.equal(removal.lines.at(-1), `error: ${PATCH} cannot be removed yet`);

    // As its own process, with the payload key from PAYLOAD_CODEC_KEYS: the answer on stdout, nothing else.
    const processEnv = { TEMPORAL_ADDRESS: env.address, CONNECTIONS_FILE: join(stack.dataDir, 'connections.json'), PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT };
    const answer = await runCliProcess(['patches', 'check', PATCH], processEnv);
    assert.deepEqual([answer.code, answer.stderr], [0, '']);
    assert.match(answer.stdout, new RegExp(`^${PATCH} \\(raiseOrder\\): can be deprecated: the 1 open run replays with it deprecated\n`));
  });

  test('`patches` lists every patch of the code with its verdict; the help names the command', async () => {
    const listed = await cli('patches');
    assert.equal(listed.code, 0);
    const verdicts = listed.lines.filter((line) => !line.startsWith('  '));
    assert.ok(verdicts.includes(`${PATCH} (raiseOrder): can be deprecated: the 1 open run replays with it deprecated`), verdicts.join('\n'));
    assert.ok(verdicts.includes('wake-waiters-together (watchSource): can be deprecated: no open run'), verdicts.join('\n'));
    assert.ok(verdicts.includes('product-pages-in-runs (productSync): can be deprecated: no open run'), verdicts.join('\n'));
    const help = await cli('--help');
    assert.equal(help.code, 0);
    assert.match(help.lines.join('\n'), /^ {2}patches +the workflow code's patches: whether each/m);
  });

  test('a patch is found however the code asks it; a name in a comment or a Set is none', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'patch-sites-')), 'workflow.ts');
    writeFileSync(
      file,
      [
        "import { patched as isPatched, deprecatePatch } from '@temporalio/workflow';",
        "// isPatched('only-in-a-comment')",
        'class Patches {',
        '  has(id: string): boolean {',
        '    return isPatched(id);',
        '  }',
        '}',
        'function ask(id: string): boolean {',
        '  return isPatched(id);',
        '}',
        'export async function flow(): Promise<void> {',
        '  const patches = new Patches();',
        "  const seen = new Set(['a-set-member']);",
        "  if (isPatched('direct') && patches.has('through-a-method') && ask('through-a-function') && seen.has('a-set-member')) return;",
        "  deprecatePatch('deprecated-one');",
        '}',
      ].join('\n'),
    );
    assert.deepEqual(
      patchCallsIn(file)
        .map((call) => `${call.id} ${call.kind}`)
        .sort(),
      ['deprecated-one deprecatePatch', 'direct patched', 'through-a-function patched', 'through-a-method patched'],
    );
  });
});
