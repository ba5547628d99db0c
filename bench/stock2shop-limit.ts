/**
 * Stock2Shop's limit per account, as the real service applies it (429 beyond, `x-S2S-RateLimit`, no
 * Retry-After): a full pass of an iSync catalog and a burst of orders of the same account at once, the
 * account's limit set alike in the simulator and the connection. Goals: under 1 % of calls refused for
 * rate, and calls per second at least 90 % of the limit (the raw figure: the limit itself). The limit
 * is 20/s rather than Stock2Shop's 3/s so the row fits in `npm run bench`; both goals are ratios.
 *
 *   node --import tsx bench/stock2shop-limit.ts [--quick]     (also part of `npm run bench`)
 */
import { parseArgs } from 'node:util';
import { deliverOrder } from '../temporal/deliver-order';
import { CENTRAL_TASK_QUEUE } from '../domain';
import { benchOrder, runBench, say, startBenchStack, waitUntil } from './harness';
import { markdownTable, verdict, type BenchReport } from './report';

const LIMIT = 20;

export async function runStock2ShopLimitBenchmark({ quick = false }: { quick?: boolean } = {}): Promise<BenchReport> {
  const started = Date.now();
  const [items, orders] = quick ? [20_000, 60] : [100_000, 200];
  const stack = await startBenchStack({
    label: 's2s-limit',
    simulators: [{ name: 'isync', kind: 'isync', items }],
    connections: [{ id: 'limit-isync', kind: 'isync', sourceId: 301, stock2shopRequestsPerSecond: LIMIT }],
    stock2shopRateLimitPerSecond: LIMIT,
    agents: false,
  });
  try {
    const connection = stack.connection('limit-isync');
    const skus = stack
      .isync()
      .catalog()
      .slice(0, 50)
      .map((item) => ({ sku: String((item as { SKU: string }).SKU), price: 99 }));
    say(`stock2shop limit: a pass of ${items} products and ${orders} orders at once, the account at ${LIMIT} requests/s`);
    const pass = await stack.client.workflow.start('productSync', { taskQueue: CENTRAL_TASK_QUEUE, workflowId: 'product-sync/limit-isync/bench', args: [{ connectionId: connection.id }] });
    const codes = Array.from({ length: orders }, (_, i) => `LIMIT-${String(i + 1).padStart(4, '0')}`);
    for (const [i, code] of codes.entries()) {
      void stack.stock2shop.addOrder(benchOrder(code, connection.stock2shop.sourceId, [skus[i % skus.length]!, skus[(i * 7 + 3) % skus.length]!]));
      await deliverOrder(stack.client, connection, code, { via: 'webhook' });
    }
    await pass.result();
    await waitUntil('every order to be raised', 600_000, () => stack.stock2shop.orders().filter((held) => held.source_order_code !== null).length === orders);

    const calls = stack.stock2shop.requests().filter((entry) => entry.path.startsWith('/v1/') && entry.path !== '/v1/users/authenticate');
    const refused = calls.filter((entry) => entry.status === 429).length;
    const times = calls.map((entry) => Date.parse(entry.at));
    const spanSeconds = (Math.max(...times) - Math.min(...times)) / 1000;
    const perSecond = calls.length / spanSeconds;
    const refusedShare = refused / calls.length;
    const markdown = markdownTable(
      ['calls', 'refused (429)', 'span', 'calls per second', 'of the limit'],
      [[String(calls.length), `${refused} (${(refusedShare * 100).toFixed(2)} %)`, `${spanSeconds.toFixed(1)} s`, perSecond.toFixed(2), `${((perSecond / LIMIT) * 100).toFixed(1)} %`]],
    );
    say(markdown);
    return {
      title: 'Stock2Shop limit per account',
      command: `node --import tsx bench/stock2shop-limit.ts${quick ? ' --quick' : ''}`,
      seconds: (Date.now() - started) / 1000,
      goals: [
        { benchmark: `Stock2Shop ${items / 1000}k pass + ${orders} orders, one account: refused for rate`, goal: '< 1 % of calls', measured: `${(refusedShare * 100).toFixed(2)} % (${refused} of ${calls.length})`, verdict: verdict(refusedShare < 0.01) },
        { benchmark: 'Stock2Shop pass + orders, one account: calls per second', goal: '≥ 90 % of the limit', measured: `${perSecond.toFixed(2)}/s of ${LIMIT}/s (${((perSecond / LIMIT) * 100).toFixed(1)} %)`, verdict: verdict(perSecond >= 0.9 * LIMIT) },
      ],
      markdown,
      data: { calls: calls.length, refused, spanSeconds, perSecond, limit: LIMIT },
    };
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  runBench('stock2shop-limit', async () => {
    const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
    const report = await runStock2ShopLimitBenchmark({ quick: values.quick ?? false });
    process.stdout.write(`${report.goals.map((g) => `${g.benchmark}: ${g.measured} (goal ${g.goal}) ${g.verdict}`).join('\n')}\n`);
  });
}
