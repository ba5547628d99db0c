/**
 * One convention for the arguments of every command (issue 25 item 6): a command that acts on a
 * connection takes its id as its first argument, and `-c, --connection <id>` in its place. `orders`
 * took only `-c` (`orders demo-omni` failed with "too many arguments"), `status` and `problems` only
 * the positional id. On a real dev server, with the workers and the simulators.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { cliAgainst } from '../helpers/cli';
import { startDevServer } from '../helpers/temporal';
import { runBothWorkers, startStack, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

describe('a connection id first, or --connection: every command takes both', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let workers: { stop(): Promise<void> } | undefined;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    });
    workers = await runBothWorkers(stack);
    await stack.placeOrder(makeOrder('WEB-ARG-1', [{ sku: 'GHOST-ARG', qty: 1, price: 10 }]));
    await waitFor(async () => {
      const { lines } = await cli('orders', '--connection', 'acme-omni');
      return lines.some((line) => line.includes('WEB-ARG-1: needs attention')) ? true : undefined;
    }, 'WEB-ARG-1 listed as needing attention');
  });
  after(async () => {
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  const cli = (...argv: string[]) => cliAgainst(env, stack)(...argv);

  test('`orders <connectionId>` lists that connection, as `orders -c <connectionId>` does', async () => {
    const listed = ['acme-omni/WEB-ARG-1: needs attention', '`order status <connectionId> <code>` says why; `order retry <connectionId> <code>` after the fix'];
    for (const argv of [
      ['orders', 'acme-omni'],
      ['orders', '-c', 'acme-omni'],
      ['orders', '--connection', 'acme-omni'],
      ['orders', '--connection=acme-omni'],
      ['orders', 'acme-omni', '--connection', 'acme-omni'],
    ]) {
      assert.deepEqual(await cli(...argv), { code: 0, lines: listed }, argv.join(' '));
    }
    assert.deepEqual(await cli('orders', 'bravo-isync'), { code: 0, lines: ['No order needs attention'] });
  });

  test('`status` and `problems` take --connection too; `order status|retry|cancel` take it in place of their first argument', async () => {
    const [positional, option] = [await cli('status', 'acme-omni', '--json'), await cli('status', '-c', 'acme-omni', '--json')];
    assert.equal(positional.code, 0);
    assert.equal(option.code, 0);
    const idsOf = (answer: { lines: string[] }) => (JSON.parse(answer.lines.join('\n')) as { connectionId: string }[]).map((s) => s.connectionId);
    assert.deepEqual(idsOf(option), ['acme-omni']);
    assert.deepEqual(idsOf(positional), idsOf(option));

    assert.deepEqual(await cli('problems', '--connection', 'bravo-isync'), { code: 0, lines: ['No open problem for bravo-isync'] });
    assert.deepEqual(await cli('problems', '--connection', 'bravo-isync'), await cli('problems', 'bravo-isync'));

    const status = await cli('order', 'status', 'acme-omni', 'WEB-ARG-1');
    assert.equal(status.code, 0);
    assert.match(status.lines[0]!, /^acme-omni\/WEB-ARG-1: needs attention: Stock code GHOST-ARG not found/);
    assert.deepEqual(await cli('order', 'status', '-c', 'acme-omni', 'WEB-ARG-1'), status);
    assert.deepEqual(await cli('order', 'status', 'WEB-ARG-1', '--connection', 'acme-omni'), status);
  });

  test('order submit takes the connection first too; sync run takes --connection', async () => {
    void stack.stock2shop.addOrder({ ...makeOrder('WEB-ARG-2', [{ sku: 'KETTLE-01', qty: 1, price: 349.99 }]), sources: [{ source_id: 101 }] });
    assert.deepEqual(await cli('order', 'submit', 'acme-omni', 'WEB-ARG-2'), { code: 0, lines: ['raise-order/acme-omni/WEB-ARG-2: delivered'] });
    const again = await cli('order', 'submit', 'WEB-ARG-2', '-c', 'acme-omni');
    assert.equal(again.code, 0);
    assert.match(again.lines.join('\n'), /^raise-order\/acme-omni\/WEB-ARG-2: (delivered|already raised, not raised again)$/);
    const run = await cli('sync', 'run', '-c', 'acme-omni', '--wait');
    assert.equal(run.code, 0, run.lines.join('\n'));
    assert.match(run.lines.at(-1)!, /acme-omni: 1 page\(s\), 1 read/);
  });

  test('mistakes: two different connections, none, or too many arguments, say so in one line (exit 2)', async () => {
    assert.deepEqual(await cli('orders', 'acme-omni', '-c', 'bravo-isync'), {
      code: 2,
      lines: ["error: two connections named: 'acme-omni' and --connection bravo-isync; name it once"],
    });
    assert.deepEqual(await cli('order', 'status', 'bravo-isync', 'WEB-ARG-1', '--connection', 'acme-omni'), {
      code: 2,
      lines: ["error: two connections named: 'bravo-isync' and --connection acme-omni; name it once"],
    });
    const none = await cli('order', 'status', '-c', 'acme-omni');
    assert.equal(none.code, 2);
    assert.match(none.lines.at(-1)!, /^error: missing required argument 'channelOrderCode'/);
    const unnamed = await cli('sync', 'run');
    assert.equal(unnamed.code, 2);
    assert.match(unnamed.lines.at(-1)!, /^error: missing required argument 'connectionId'/);
    const tooMany = await cli('orders', 'acme-omni', 'WEB-ARG-1');
    assert.equal(tooMany.code, 2);
    assert.match(tooMany.lines.at(-1)!, /^error: too many arguments for 'orders'/);
    assert.deepEqual(await cli('orders', 'nope'), { code: 2, lines: ["error: Unknown connection 'nope'. Configured: acme-omni, bravo-isync"] });
  });

  test('the help shows the connection first, and --connection', async () => {
    const help = await cli('orders', '--help');
    assert.equal(help.code, 0);
    assert.match(help.lines.join('\n'), /^Usage: s2s orders \[options\] \[connectionId\]/m);
    assert.match(help.lines.join('\n'), /-c, --connection <connectionId>/);
    const status = await cli('order', 'status', '--help');
    assert.match(status.lines.join('\n'), /^Usage: s2s order status \[options\] <connectionId> <channelOrderCode>/m);
    assert.match(status.lines.join('\n'), /-c, --connection <connectionId>/);
  });
});
