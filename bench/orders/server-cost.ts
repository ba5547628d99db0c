/**
 * What one order costs the server, per path: the dev server's own counters (bench/server-metrics.ts)
 * scraped right before and right after each burst of a series (row 1's bursts on the confined path,
 * row 8's on both paths), summed over the series and divided by its orders; beside them the history
 * events of a sample of those orders' runs, by event type (the raiseOrder run in the central
 * namespace and, on the confined path, the run backing its raise in the client's namespace).
 */
import { temporal } from '@temporalio/proto';
import { Client } from '@temporalio/client';
import { agentCallWorkflowId, agentPlacement, raiseOrderWorkflowId, type Connection } from '../../domain';
import { mapLimit, say, sleep } from '../harness';
import { markdownTable } from '../report';
import { countersBetween, scrapeServerCounters, sumCounters, type ServerCounters } from '../server-metrics';
import type { Run } from './kit';
import { ENGINE_PROCESSES, SETTLE_MS, type EngineBurst } from './pipeline';

/** raiseOrder runs (and their backing runs) read per path for the event counts. */
const HISTORIES_PER_PATH = 10;

/** `idle`: the stack with no order in flight, its figures per second instead of per order. */
export type OrderPath = 'confined' | 'central queue' | 'idle';

export interface HistoryEventCounts {
  /** raiseOrder runs read. */
  runs: number;
  /** Events per raiseOrder run (central namespace), by type. */
  raiseOrder: Record<string, number>;
  /** Runs backing the raise in the client's namespace found (confined path), and their events per run by type. */
  backingRuns: number;
  backing: Record<string, number>;
}

export interface ServerCost {
  /** The table's column heading. */
  label: string;
  path: OrderPath;
  connectionId: string;
  bursts: number;
  /** Orders raised in those bursts: what the counters are divided by. */
  orders: number;
  /** Every burst complete; otherwise some counts belong to orders not raised yet (per raised order: a bound). */
  complete: boolean;
  cpuMsPerOrder: Record<string, number>;
  /** The counters per order; null when the server could not be scraped around every burst. */
  perOrder: ServerCounters | null;
  /** Null for the idle column. */
  history: HistoryEventCounts | null;
}

const EventType = temporal.api.enums.v1.EventType;
const typeName = (t: unknown) => (EventType[Number(t)] ?? String(t)).replace(/^EVENT_TYPE_/, '');

function scaled(c: ServerCounters, factor: number): ServerCounters {
  const scale = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v * factor]));
  return {
    requests: Object.fromEntries(Object.entries(c.requests).map(([service, ops]) => [service, scale(ops)])),
    systemFrontendRequests: c.systemFrontendRequests * factor,
    persistence: scale(c.persistence),
    stateTransitions: c.stateTransitions * factor,
  };
}

/** Events by type per run, over the histories that could be read. */
async function eventsByType(codes: string[], fetch: (code: string) => Promise<temporal.api.history.v1.IHistory | undefined>): Promise<{ runs: number; byType: Record<string, number> }> {
  const histories = (await mapLimit(codes, 5, (code) => fetch(code).catch(() => undefined))).filter((h) => h !== undefined);
  const byType: Record<string, number> = {};
  for (const h of histories) for (const e of h.events ?? []) byType[typeName(e.eventType)] = (byType[typeName(e.eventType)] ?? 0) + 1;
  for (const key of Object.keys(byType)) byType[key]! /= Math.max(1, histories.length);
  return { runs: histories.length, byType };
}

async function historyEvents(run: Run, connection: Connection, codes: string[]): Promise<HistoryEventCounts> {
  const step = Math.max(1, Math.floor(codes.length / HISTORIES_PER_PATH));
  const picked = codes.filter((_, i) => i % step === 0).slice(0, HISTORIES_PER_PATH);
  const raiseOrder = await eventsByType(picked, (code) => run.stack.client.workflow.getHandle(raiseOrderWorkflowId(connection.id, code)).fetchHistory());
  const placement = agentPlacement(connection);
  let backing = { runs: 0, byType: {} as Record<string, number> };
  if (placement) {
    // Histories only (no payload decoded): the stack's connection, the client's namespace.
    const client = new Client({ connection: run.stack.clientConnection, namespace: placement.namespace });
    backing = await eventsByType(picked, (code) => client.workflow.getHandle(agentCallWorkflowId('raise', connection.id, code)).fetchHistory());
  }
  return { runs: raiseOrder.runs, raiseOrder: raiseOrder.byType, backingRuns: backing.runs, backing: backing.byType };
}

/** The series' cost per order; read at the series' end, on the stack its bursts ran on. */
export async function serverCostOf(run: Run, label: string, path: OrderPath, connection: Connection, bursts: EngineBurst[]): Promise<ServerCost> {
  const orders = bursts.reduce((sum, b) => sum + b.raised, 0);
  const scrapes = bursts.map((b) => b.server);
  const perOrder = orders > 0 && scrapes.every((s) => s) ? scaled(sumCounters(scrapes as ServerCounters[]), 1 / orders) : null;
  const cpuMsPerOrder: Record<string, number> = {};
  for (const b of bursts) for (const [name, s] of Object.entries(b.cpu)) cpuMsPerOrder[name] = (cpuMsPerOrder[name] ?? 0) + (s * 1000) / Math.max(1, orders);
  // Spread over every burst of the series, as the counters are.
  const raisedCodes = bursts.flatMap((b) => b.raisedCodes);
  const history = await historyEvents(run, connection, raisedCodes);
  const cost: ServerCost = { label, path, connectionId: connection.id, bursts: bursts.length, orders, complete: bursts.every((b) => b.complete), cpuMsPerOrder, perOrder, history };
  say(`server per order, ${label}: ${summaryLine(cost)}`);
  return cost;
}

/** The same counters over `seconds` with no order in flight, per second: what the window costs whatever the orders. */
export async function idleCostOf(run: Run, seconds: number): Promise<ServerCost> {
  const { stack } = run;
  // What ran before (the warm-up) reaches the counters first.
  await sleep(SETTLE_MS);
  const before = await scrapeServerCounters(stack.devServer.metricsUrl);
  const cpuBefore = stack.sampler.sampleNow();
  await sleep(seconds * 1000);
  const cpuAfter = stack.sampler.sampleNow();
  const after = await scrapeServerCounters(stack.devServer.metricsUrl);
  const cpuMsPerOrder: Record<string, number> = {};
  for (const [name, sample] of Object.entries(cpuAfter)) if (cpuBefore[name]) cpuMsPerOrder[name] = ((sample.cpu - cpuBefore[name]!.cpu) * 1000) / seconds;
  const cost: ServerCost = {
    label: `idle stack, per second (${seconds} s, no orders)`,
    path: 'idle',
    connectionId: '-',
    bursts: 0,
    orders: 0,
    complete: true,
    cpuMsPerOrder,
    perOrder: before && after ? scaled(countersBetween(before, after), 1 / seconds) : null,
    history: null,
  };
  say(`server per second, ${cost.label}: ${summaryLine(cost)}`);
  return cost;
}

// ------------------------------------------------------------------------------------------------- report

const num = (n: number | undefined) => (n === undefined ? '–' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const sum = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);

function summaryLine(c: ServerCost): string {
  const p = c.perOrder;
  const frontend = p?.requests.frontend ?? {};
  const top = Object.entries(frontend)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([op, n]) => `${op} ${num(n)}`)
    .join(', ');
  return (
    (c.path === 'idle' ? '' : `${c.orders} orders in ${c.bursts} burst(s)${c.complete ? '' : ' (cut)'}; `) +
    (p
      ? `frontend requests ${num(sum(frontend))} (${top}); history ${num(sum(p.requests.history))}, matching ${num(sum(p.requests.matching))}; ` +
        `state transitions ${num(p.stateTransitions)}; persistence requests ${num(sum(p.persistence))}; `
      : 'server counters not scraped; ') +
    (c.history
      ? `history events: raiseOrder ${num(sum(c.history.raiseOrder))} (${c.history.runs} runs read)` +
        (c.path === 'confined' ? `, backing run ${num(sum(c.history.backing))} (${c.history.backingRuns} read)` : '')
      : `CPU ms per second ${Object.entries(c.cpuMsPerOrder)
          .map(([name, ms]) => `${name} ${num(ms)}`)
          .join(', ')}`)
  );
}

/** Who makes a frontend request, where the operation says so. */
function sourceOf(operation: string): string {
  if (/^(Poll|Respond|Record)/.test(operation)) return 'workers';
  if (operation === 'SignalWithStartWorkflowExecution') return 'the deliveries';
  if (operation === 'StartWorkflowExecution') return "the agent's Nexus handler (its backing run)";
  if (operation === 'DescribeWorkflowExecution') return "the agent's Nexus handler (is a backing run of the order under way?)";
  if (operation === 'StartNexusOperation' || operation === 'CompleteNexusOperation') return 'the server (its Nexus call, the completion callback)';
  return '';
}

/** Rows of `pick` over the columns: the keys with at least `least` per order in some column, largest first. */
function keyedRows(costs: ServerCost[], pick: (c: ServerCost) => Record<string, number> | undefined, least: number, name: (key: string) => string[]): string[][] {
  const keys = new Map<string, number>();
  for (const c of costs) for (const [k, v] of Object.entries(pick(c) ?? {})) keys.set(k, Math.max(keys.get(k) ?? 0, v));
  return [...keys]
    .filter(([, max]) => max >= least)
    .sort((a, b) => b[1] - a[1])
    .map(([key]) => [...name(key), ...costs.map((c) => (pick(c) === undefined ? '–' : num(pick(c)![key] ?? 0)))]);
}

export function serverCostMarkdown(costs: ServerCost[]): string[] {
  if (costs.length === 0) return [];
  const counters = (c: ServerCost) => c.perOrder ?? undefined;
  const row = (what: string, from: string, value: (c: ServerCost) => number | undefined) => [what, from, ...costs.map((c) => num(value(c)))];
  const rows: string[][] = [
    row('**CPU, ms** (dev server + central + agents)', '/proc', (c) => ENGINE_PROCESSES.reduce((s, n) => s + (c.cpuMsPerOrder[n] ?? 0), 0)),
    ...ENGINE_PROCESSES.map((n) => row(`CPU, ms: ${n}`, '/proc', (c) => c.cpuMsPerOrder[n] ?? 0)),
    row('**frontend gRPC requests** (`service_requests`, service_name="frontend")', 'all clients', (c) => (c.perOrder ? sum(c.perOrder.requests.frontend) : undefined)),
    ...keyedRows(costs, (c) => counters(c)?.requests.frontend, 0.01, (op) => [`  ${op}`, sourceOf(op)]),
    row('history service requests (`service_requests`, service_name="history")', 'the server itself', (c) => (c.perOrder ? sum(c.perOrder.requests.history) : undefined)),
    row('matching service requests (`service_requests`, service_name="matching")', 'the server itself', (c) => (c.perOrder ? sum(c.perOrder.requests.matching) : undefined)),
    row('**state transitions** (`state_transition_count`, its count)', 'history service', (c) => c.perOrder?.stateTransitions),
    row('**persistence requests** (`persistence_requests`)', 'all services', (c) => (c.perOrder ? sum(c.perOrder.persistence) : undefined)),
    ...keyedRows(costs, (c) => counters(c)?.persistence, 0.05, (op) => [`  ${op}`, '']),
    row('**history events**: raiseOrder run (central namespace)', 'histories', (c) => (c.history ? sum(c.history.raiseOrder) : undefined)),
    ...keyedRows(costs, (c) => c.history?.raiseOrder, 0.01, (type) => [`  ${type}`, '']),
  ];
  if (costs.some((c) => (c.history?.backingRuns ?? 0) > 0)) {
    rows.push(
      row("**history events**: the raise's backing run (client's namespace)", 'histories', (c) => (c.history ? sum(c.history.backing) : undefined)),
      ...keyedRows(costs, (c) => c.history?.backing, 0.01, (type) => [`  ${type}`, '']),
    );
  }
  rows.push(row('the server\'s internal workers\' frontend requests (namespace temporal_system; not above)', 'the server itself', (c) => c.perOrder?.systemFrontendRequests));
  const missing = costs.filter((c) => !c.perOrder).map((c) => c.label);
  const backingMissing = costs.filter((c) => c.path === 'confined' && c.history?.backingRuns === 0).map((c) => c.label);
  return [
    '**What one order costs the server**, per order, each path side by side. The dev server runs with its Prometheus endpoint (`temporal server start-dev --metrics-port`); ' +
      `its counters are scraped right before each burst and ${SETTLE_MS / 1000} s after its last order was raised (the server publishes its counters about once a second; ` +
      "the scrapes come after the CPU samples, so their own cost is not in the CPU), summed over the path's bursts and divided by the orders raised in them. " +
      '`service_requests` on the frontend are the gRPC calls of every client: Poll*/Respond* come from the workers (central worker and agents), SignalWithStartWorkflowExecution from the deliveries (the bench, as the webhook calls it); ' +
      "the history and matching services' own requests are hops inside the server. `state_transition_count` is recorded once per write of a workflow's state, so its count is the state transitions. " +
      "Everything in the window counts, the other connections' idle pollers included; namespace temporal_system (the server's own internal workers) is kept out of the figures and given in the last row. " +
      `History events are the mean of ${HISTORIES_PER_PATH} runs spread over the path's bursts, by event type. ` +
      (costs.some((c) => c.path === 'idle')
        ? 'The idle column is the same stack with no order in flight, per second: what any window costs whatever its orders (the pollers, the server\'s own timers and refreshes); a figure per order is worth reading beside it.'
        : '') +
      (missing.length ? ` The server's counters could not be scraped for: ${missing.join(', ')}.` : '') +
      (backingMissing.length
        ? ` No run backing the raise was found in the client's namespace for: ${backingMissing.join(', ')}` +
          (costs.filter((c) => backingMissing.includes(c.label)).every((c) => (c.history?.raiseOrder.NEXUS_OPERATION_STARTED ?? 0) === 0)
            ? ' (their raiseOrder histories hold no NEXUS_OPERATION_STARTED: the agent answered each operation at once, without a backing run).'
            : '.')
        : ''),
    '',
    markdownTable([costs.some((c) => c.path === 'idle') ? 'per order (idle: per second)' : 'per order', 'from', ...costs.map((c) => `${c.label}${c.complete ? '' : ' (cut: per raised order)'}`)], rows),
    '',
  ];
}
