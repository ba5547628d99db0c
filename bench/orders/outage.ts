/**
 * Row 4: Omni refusing every connection for 60 s while 200 orders arrive (once): lost, duplicated,
 * requests that reached the dead source per probe interval, last raised − source back.
 */
import { raiseOrderWorkflowId, sourceWatchWorkflowId, type Connection } from '../../domain';
import { deliverOrder } from '../../temporal/deliver-order';
import type { RequestLogEntry } from '../../simulators';
import { mapLimit, say, sleep, type BenchStack } from '../harness';
import { verdict, type GoalRow } from '../report';
import { codesOf, f1, GOALS, linesFor, msText, paced, placeOrder, raisedAt, raisedBy, rowDeadline, type Run } from './kit';
import { engineBurst } from './pipeline';
import { readHistories } from './histories';

export interface OutageRow {
  orders: number;
  outageSeconds: number;
  probeSeconds: number;
  lost: number;
  /** Not raised when the row ended, their workflows still running (not lost: they would go on). */
  pending: number;
  duplicated: number;
  writtenBackMoreThanOnce: number;
  refusedDuringOutage: number;
  requestsPerInterval: number;
  maxRequestsInAnInterval: number;
  perInterval: number[];
  raisedDuringOutage: number;
  /** Last raised − the source back; a lower bound when some were still pending. */
  raisedAfterReturnMs: number;
  allRaised: boolean;
  firstRaisedAfterReturnMs: number | null;
  watch: { probes: number; runs: number } | null;
}

/** The outage itself: Omni down for `outageSeconds`, the orders arriving over its first half. */
async function outage(run: Run, connection: Connection, codes: string[]): Promise<{ downAt: number; backAt: number; refused: RequestLogEntry[]; raisedDuringOutage: number }> {
  const { stack, sizes } = run;
  const omni = stack.omni('omni-outage');
  const n = codes.length;
  omni.clearRequests();
  await omni.setFaults({ refuseConnections: true });
  const downAt = Date.now();
  say(`row 4: Omni (${connection.id}) refuses every connection for ${sizes.outageSeconds} s; ${n} orders arrive over its first half`);
  const arrivals = paced(n / (sizes.outageSeconds / 2), sizes.outageSeconds / 2, async (i) => {
    placeOrder(run, connection, codes[i]!, linesFor(run, i));
    await deliverOrder(stack.client, connection, codes[i]!, { via: 'webhook' });
  });
  await sleep(downAt + sizes.outageSeconds * 1000 - Date.now());
  await arrivals;
  const refused = omni.requests().filter((r) => r.outcome === 'refused');
  await omni.setFaults({ refuseConnections: false });
  const backAt = Date.now();
  const raisedDuringOutage = codes.filter((code) => raisedAt(stack.stock2shop.order(code)) !== undefined).length;
  say(`row 4: Omni answers again; ${refused.length} requests reached it while down; ${raisedDuringOutage} raised during the outage`);
  return { downAt, backAt, refused, raisedDuringOutage };
}

/** Each order exactly once in Omni, each written back once; an order not raised is pending while its workflow runs, else lost. */
async function tally(run: Run, connection: Connection, codes: string[]): Promise<{ lost: number; pending: number; duplicated: number; writtenBackMoreThanOnce: number }> {
  const { stack } = run;
  const omni = stack.omni('omni-outage');
  const inOmni = new Map<string, number>();
  for (const d of omni.orders()) inOmni.set(d.reference, (inOmni.get(d.reference) ?? 0) + 1);
  let lost = 0;
  let pending = 0;
  let duplicated = 0;
  let writtenBackMoreThanOnce = 0;
  await mapLimit(codes, 16, async (code) => {
    const writeBacks = stack.stock2shop.order(code).write_backs.filter((w) => w.kind === 'source_order_code').length;
    if ((inOmni.get(code) ?? 0) > 1) duplicated += 1;
    if (writeBacks > 1) writtenBackMoreThanOnce += 1;
    if (writeBacks === 0 || !inOmni.has(code)) {
      const running = await stack.client.workflow
        .getHandle(raiseOrderWorkflowId(connection.id, code))
        .describe()
        .then((d) => d.status.name === 'RUNNING')
        .catch(() => false);
      if (running) pending += 1;
      else lost += 1;
    }
  });
  return { lost, pending, duplicated, writtenBackMoreThanOnce };
}

/** Requests per probe interval: the refused connections, bucketed by interval from the start of the outage. */
function perInterval(refused: RequestLogEntry[], downAt: number, outageSeconds: number, probeSeconds: number): number[] {
  const buckets = new Array<number>(Math.ceil(outageSeconds / probeSeconds)).fill(0);
  for (const r of refused) {
    const k = Math.min(buckets.length - 1, Math.floor((Date.parse(r.at) - downAt) / (probeSeconds * 1000)));
    if (k >= 0) buckets[k]! += 1;
  }
  return buckets;
}

export async function outageRow(run: Run): Promise<OutageRow> {
  const rowEnd = rowDeadline(run, 4);
  const { stack, sizes } = run;
  const connection = stack.connection('omni-outage');
  const probeSeconds = connection.sourceProbeSeconds;
  const n = sizes.outageOrders;
  const codes = codesOf('O', n);
  // A warm-up order, so the agent's guard and HTTP connections exist before the outage.
  const warm = await engineBurst(run, connection, ['O-WARM'], Date.now() + 60_000);
  if (!warm.complete) throw new Error('row 4: the warm-up order was not raised within 60 s');

  const { downAt, backAt, refused, raisedDuringOutage } = await outage(run, connection, codes);
  const { at, complete } = await raisedBy(run, codes, Math.min(backAt + sizes.outageDrainSeconds * 1000, rowEnd));
  const endedAt = Date.now();
  await sleep(1000);
  const { lost, pending, duplicated, writtenBackMoreThanOnce } = await tally(run, connection, codes);
  if (!complete) {
    run.dirty = true;
    run.cuts.push(`row 4: ${pending} orders still pending ${sizes.outageDrainSeconds} s after the source came back`);
  }
  const buckets = perInterval(refused, downAt, sizes.outageSeconds, probeSeconds);
  const times = [...at.values()];
  const raisedCodes = codes.filter((c) => at.has(c));
  if (run.histories && raisedCodes.length > 0) await readHistories(run, '4. outage', connection.id, raisedCodes);
  const watch = await watchProbes(stack, connection.id);
  const row: OutageRow = {
    orders: n,
    outageSeconds: sizes.outageSeconds,
    probeSeconds,
    lost,
    pending,
    duplicated,
    writtenBackMoreThanOnce,
    refusedDuringOutage: refused.length,
    requestsPerInterval: refused.length / (sizes.outageSeconds / probeSeconds),
    maxRequestsInAnInterval: Math.max(...buckets),
    perInterval: buckets,
    raisedDuringOutage,
    raisedAfterReturnMs: (complete ? Math.max(...times) : endedAt) - backAt,
    allRaised: complete,
    firstRaisedAfterReturnMs: times.length ? Math.min(...times) - backAt : null,
    watch,
  };
  say(
    `row 4: ${n} orders: ${lost} lost, ${pending} still pending, ${duplicated} duplicated in Omni, ${writtenBackMoreThanOnce} written back twice; ` +
      `${refused.length} requests reached the dead source in ${sizes.outageSeconds} s = ${f1(row.requestsPerInterval)} per ${probeSeconds} s probe interval ` +
      `(per interval ${buckets.join(' ')}); raised ${row.firstRaisedAfterReturnMs === null ? '-' : msText(row.firstRaisedAfterReturnMs)} – ` +
      `${complete ? '' : '≥ '}${msText(row.raisedAfterReturnMs)} after the source came back` +
      (watch ? `; the source watch probed ${watch.probes} times (${watch.runs} run(s))` : ''),
  );
  return row;
}

/** The source watch's probes (probeSource activities scheduled) across its runs. */
async function watchProbes(stack: BenchStack, connectionId: string): Promise<{ probes: number; runs: number } | null> {
  try {
    let probes = 0;
    let runs = 0;
    for await (const info of stack.client.workflow.list({ query: `WorkflowId = '${sourceWatchWorkflowId(connectionId)}'` })) {
      const history = await stack.client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
      probes += (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'probeSource').length;
      runs += 1;
    }
    return { probes, runs };
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------------- report

export function outageGoalRows(o: OutageRow): GoalRow[] {
  return [
    {
      benchmark: `Omni offline ${o.outageSeconds} s while ${o.orders} orders arrive (once): lost / duplicated`,
      goal: '0 lost, 0 duplicated',
      measured: `${o.lost} lost, ${o.duplicated} duplicated, ${o.writtenBackMoreThanOnce} written back twice${o.pending ? ` (${o.pending} still pending when the row ended)` : ''}`,
      verdict: verdict(o.lost === 0 && o.duplicated === 0 && o.writtenBackMoreThanOnce === 0),
    },
    {
      benchmark: `Omni offline: requests reaching the dead source per ${o.probeSeconds} s probe interval`,
      goal: `O(1) (≤ ${GOALS.outageRequestsPerInterval} in any interval, whatever the orders waiting)`,
      measured: `${f1(o.requestsPerInterval)} on average, ${o.maxRequestsInAnInterval} at most (${o.refusedDuringOutage} in ${o.outageSeconds} s, ${o.orders} orders)`,
      verdict: verdict(o.maxRequestsInAnInterval <= GOALS.outageRequestsPerInterval),
    },
    {
      benchmark: 'Omni offline: all raised after the source returns',
      goal: `≤ ${GOALS.outageRaisedAfterReturnMs / 1000} s`,
      measured: o.allRaised ? `${(o.raisedAfterReturnMs / 1000).toFixed(1)} s` : `> ${(o.raisedAfterReturnMs / 1000).toFixed(0)} s (${o.pending} still pending; cut)`,
      verdict: verdict(o.allRaised && o.raisedAfterReturnMs <= GOALS.outageRaisedAfterReturnMs),
    },
  ];
}

export function outageMarkdown(o: OutageRow): string[] {
  return [
    `**4. Omni offline ${o.outageSeconds} s while ${o.orders} orders arrive** (once: a correctness row). The Omni simulator of \`omni-outage\` refuses every connection ` +
      `(\`refuseConnections\`: the port stays, each connection is reset and logged, so knocks are counted) for ${o.outageSeconds} s; the orders arrive over its first half. ` +
      `${o.lost} lost, ${o.duplicated} duplicated in Omni, ${o.writtenBackMoreThanOnce} written back more than once${o.pending ? `, ${o.pending} still pending (workflows running) when the row ended` : ''}. ` +
      `${o.refusedDuringOutage} requests reached the dead source: ${f1(o.requestsPerInterval)} per ${o.probeSeconds} s probe interval on average (per interval: ${o.perInterval.join(', ')})` +
      `${o.watch ? `; the source watch ran ${o.watch.probes} probes` : ''}. After the source answered again the first order was raised ` +
      `${o.firstRaisedAfterReturnMs === null ? '-' : msText(o.firstRaisedAfterReturnMs)} later and the last ${o.allRaised ? msText(o.raisedAfterReturnMs) : `not within ${msText(o.raisedAfterReturnMs)}`} later ` +
      '(the watch notices at its next probe, then signals the waiting orders together, up to 100 in one workflow task; each woken order then needs a workflow task, its raise and a workflow task for the write-back).',
    '',
  ];
}
