/**
 * Row 5: 1,000 open orders (a SKU Omni does not hold: each ends waiting for a person): RSS of the
 * central worker and the agents (sampled 3 times, 5 s apart).
 */
import { deliverOrder } from '../../temporal/deliver-order';
import { mib, type TreeSample } from '../proc';
import { mapLimit, say, sleep } from '../harness';
import { formatSpread, spreadOf, verdict, type GoalRow, type Spread } from '../report';
import { codesOf, f0, f1, GOALS, MB, placeOrder, rowDeadline, type Run } from './kit';
import { readHistories } from './histories';

export interface MemoryRow {
  openOrders: number;
  deliveredSeconds: number;
  waiting: number;
  allWaitingSeconds: number | null;
  rssBeforeMiB: Record<string, number>;
  centralRssMB: Spread;
  agentsRssMB: Spread;
  devServerRssMB: Spread;
  centralPeakMB: number;
}

export async function memoryRow(run: Run): Promise<MemoryRow> {
  const rowEnd = rowDeadline(run, 5);
  const { stack, sizes } = run;
  const connection = stack.connection('omni-open');
  const rssBeforeMiB = Object.fromEntries(Object.entries(stack.sampler.sampleNow()).map(([name, s]) => [name, mib(s.rss)]));
  const codes = codesOf('N', sizes.openOrders);
  const t0 = Date.now();
  await mapLimit(codes, sizes.deliveryConcurrency, async (code, i) => {
    placeOrder(run, connection, code, [{ sku: `NO-SUCH-SKU-${i + 1}`, price: 100 }]);
    await deliverOrder(stack.client, connection, code, { via: 'webhook' });
  });
  const deliveredSeconds = (Date.now() - t0) / 1000;
  const waitingCodes = () => codes.filter((code) => stack.stock2shop.order(code).failure_reason !== null);
  // Until all wait for a person, keeping 12 s of the row for the samples.
  let allWaitingSeconds: number | null = null;
  for (;;) {
    if (waitingCodes().length === codes.length) {
      allWaitingSeconds = (Date.now() - t0) / 1000;
      break;
    }
    if (Date.now() > rowEnd - 12_000) break;
    await sleep(500);
  }
  const waiting = waitingCodes();
  if (waiting.length < codes.length) {
    run.dirty = true;
    run.cuts.push(`row 5: ${codes.length - waiting.length} of ${codes.length} open orders not yet waiting for a person when the RSS was sampled`);
  }
  await sleep(allWaitingSeconds === null ? 0 : 2000);
  const samples: Record<string, TreeSample>[] = [];
  for (let i = 0; i < 3; i += 1) {
    if (i > 0) await sleep(5000);
    samples.push(stack.sampler.sampleNow());
  }
  if (run.histories && waiting.length > 0) await readHistories(run, '5. open', connection.id, waiting);
  const rss = (name: string) => spreadOf(samples.map((s) => (s[name]?.rss ?? 0) / MB));
  const row: MemoryRow = {
    openOrders: codes.length,
    deliveredSeconds,
    waiting: waiting.length,
    allWaitingSeconds,
    rssBeforeMiB,
    centralRssMB: rss('central'),
    agentsRssMB: rss('agents'),
    devServerRssMB: rss('devServer'),
    centralPeakMB: stack.sampler.peakRss('central', t0) / MB,
  };
  say(
    `row 5: ${codes.length} open orders delivered in ${f1(deliveredSeconds)} s; ${waiting.length} waiting for a person` +
      `${allWaitingSeconds === null ? ' when sampled' : ` (all after ${f1(allWaitingSeconds)} s)`}; RSS central ${formatSpread(row.centralRssMB, ' MB', 0)} ` +
      `(before them ${rssBeforeMiB.central ?? '?'} MiB, peak ${f0(row.centralPeakMB)} MB), agents ${formatSpread(row.agentsRssMB, ' MB', 0)}, dev server ${formatSpread(row.devServerRssMB, ' MB', 0)}`,
  );
  return row;
}

// ------------------------------------------------------------------------------------------------- report

export function memoryGoalRows(m: MemoryRow): GoalRow[] {
  return [
    {
      benchmark: `central worker RSS with ${m.openOrders} open orders`,
      goal: `≤ ${GOALS.centralRssMB} MB`,
      measured:
        `${formatSpread(m.centralRssMB, ' MB', 0)} (${f0((m.centralRssMB.median * MB) / 2 ** 20)} MiB)` +
        `${m.waiting < m.openOrders ? ` with ${m.waiting} of them waiting for a person, the rest still in progress` : ''}; agents ${formatSpread(m.agentsRssMB, ' MB', 0)}`,
      verdict: verdict(m.centralRssMB.median <= GOALS.centralRssMB),
    },
  ];
}

export function memoryMarkdown(m: MemoryRow): string[] {
  return [
    `**5. memory**: ${m.openOrders} open orders (a SKU Omni does not hold: each ends waiting for a person), delivered in ${f1(m.deliveredSeconds)} s; ` +
      `${m.allWaitingSeconds === null ? `${m.waiting} waiting for a person when sampled (the rest still being processed)` : `all waiting after ${f1(m.allWaitingSeconds)} s`}; ` +
      `VmRSS sampled 3 times 5 s apart (MB = 10⁶ bytes): central ${formatSpread(m.centralRssMB, ' MB', 0)} (peak ${f0(m.centralPeakMB)} MB; ${m.rssBeforeMiB.central ?? '?'} MiB before them), ` +
      `agents ${formatSpread(m.agentsRssMB, ' MB', 0)}, dev server ${formatSpread(m.devServerRssMB, ' MB', 0)}. Measured once (the 3 samples are of one state).`,
    '',
  ];
}
