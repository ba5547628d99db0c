/**
 * `cli status` and `cli problems`: where each connection stands, for the operator's day.
 *
 * Everything comes from Temporal and the problem ledger, never from a source or Stock2Shop:
 *  - the last pass: visibility (`WorkflowType='productSync' AND ConnectionId=…`, closed runs, the most
 *    recently closed first) and the result of the newest one (a pass skipped for another is passed over);
 *  - the next run and a pause: the schedule's description;
 *  - a source that does not answer: an open source watch (`source-watch/<id>`), since the start of its
 *    first run, or a last pass that failed as unreachable;
 *  - orders needing a person: one visibility list on `OrderState`;
 *  - open problems: the ledger (`openProblems`), the store the workers write.
 */
import { ScheduleNotFoundError, WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { escapeUnsafeCharacters, productSyncScheduleId, sourceWatchWorkflowId, type Connection } from '../domain';
import type { Problem, ProblemLedger } from '../store/product-state';
import type { ProductSyncSummary } from '../contracts/workflows';
import { ChannelOrderCodeKey, ConnectionIdKey, OrderStateKey } from '../contracts/search-attributes';

/** Worst first: the one a connection shows is the first that applies. */
export const HEALTHS = ['source offline', 'failing', 'paused', 'degraded', 'healthy'] as const;
export type Health = (typeof HEALTHS)[number];

export interface LastSync {
  workflowId: string;
  runId: string;
  outcome: 'completed' | 'failed' | 'timed out';
  closedAt: Date;
  /** The counts of a completed pass; null for one that failed. */
  read: number | null;
  pushed: number | null;
  deleted: number | null;
  unchanged: number | null;
  ignored: number | null;
  invalid: number | null;
  removed: number | null;
  /** The pass's summary line, or why it failed. */
  summary: string;
  /** It failed because the source did not answer. */
  unreachable: boolean;
}

export interface OrderNeedingAPerson {
  code: string;
  workflowId: string;
  /** `needs attention`, `failed` (waiting for a fix), or `closed as failed`. */
  state: string;
}

export interface ConnectionStatus {
  connectionId: string;
  name: string;
  sourceKind: string;
  health: Health;
  /** Why, one entry for each condition found (empty when healthy). */
  reasons: string[];
  /** The start of the open source watch; null when none is open. */
  sourceOfflineSince: Date | null;
  schedule: { scheduleId: string; state: 'active' | 'paused' | 'missing'; note: string | null; nextRun: Date | null };
  lastSync: LastSync | null;
  ordersNeedingAPerson: number;
  openProductProblems: number;
  openOrderProblems: number;
  /** Only for `status <connectionId>`. */
  problems?: Problem[];
  orders?: OrderNeedingAPerson[];
}

export interface StatusOptions {
  /** Only this connection, with its problems and orders listed. */
  detail?: boolean;
  /** The visibility query of the orders needing a person (`ordersNeedingAPersonQuery` of the CLI). */
  ordersQuery: (connectionId?: string) => string;
  now?: Date;
}

/** How many connections are looked at in parallel (each takes a few small calls to Temporal). */
const PARALLEL = 8;
/** Closed passes looked at for the last one that did something (the others were skipped for a running pass). */
const CLOSED_PASSES_LOOKED_AT = 20;

export async function gatherStatus(client: Client, connections: Connection[], ledger: ProblemLedger, options: StatusOptions): Promise<ConnectionStatus[]> {
  const scope = options.detail && connections.length === 1 ? connections[0]!.id : undefined;
  const [problems, orders] = await Promise.all([ledger.openProblems(scope), ordersNeedingAPerson(client, options.ordersQuery(scope))]);
  return mapLimited(connections, PARALLEL, async (connection) => {
    const [schedule, sourceOfflineSince, lastSync] = await Promise.all([
      scheduleOf(client, connection.id),
      sourceOfflineSinceOf(client, connection.id),
      lastSyncOf(client, connection.id),
    ]);
    const own = problems.filter((p) => p.connectionId === connection.id);
    const ownOrders = orders.get(connection.id) ?? [];
    const status: ConnectionStatus = {
      connectionId: connection.id,
      name: connection.name,
      sourceKind: connection.sourceKind,
      health: 'healthy',
      reasons: [],
      sourceOfflineSince,
      schedule,
      lastSync,
      ordersNeedingAPerson: ownOrders.length,
      openProductProblems: own.filter((p) => p.kind === 'product').length,
      openOrderProblems: own.filter((p) => p.kind === 'order').length,
      ...(options.detail ? { problems: own, orders: ownOrders } : {}),
    };
    const { health, reasons } = healthOf(status);
    return { ...status, health, reasons };
  });
}

/** The worst condition that applies, and every condition found, in words. */
export function healthOf(status: Omit<ConnectionStatus, 'health' | 'reasons'>): { health: Health; reasons: string[] } {
  const found = new Map<Health, string[]>();
  const add = (health: Health, reason: string) => found.set(health, [...(found.get(health) ?? []), reason]);
  const { lastSync, schedule } = status;
  if (status.sourceOfflineSince)
    add(
      'source offline',
      `the source has not answered since ${formatTime(status.sourceOfflineSince)} (${sourceWatchWorkflowId(status.connectionId)} probes it)`,
    );
  else if (lastSync?.unreachable) add('source offline', 'the last pass failed: the source did not answer');
  if (lastSync && lastSync.outcome !== 'completed') add('failing', `the last pass ${lastSync.outcome}: ${lastSync.summary}`);
  if (schedule.state === 'paused') add('paused', `the schedule ${schedule.scheduleId} is paused${schedule.note ? ` (${schedule.note})` : ''}`);
  if (schedule.state === 'missing') add('degraded', `no schedule ${schedule.scheduleId}: \`schedules\` creates it`);
  if (lastSync?.invalid) add('degraded', `the last pass had ${plural(lastSync.invalid, 'invalid record')}`);
  const open = status.openProductProblems + status.openOrderProblems;
  if (open > 0) add('degraded', `${plural(open, 'open problem')} (\`problems ${status.connectionId}\`)`);
  if (status.ordersNeedingAPerson > 0)
    add('degraded', `${plural(status.ordersNeedingAPerson, 'order')} needing a person (\`orders --connection ${status.connectionId}\`)`);
  const health = HEALTHS.find((h) => found.has(h)) ?? 'healthy';
  return { health, reasons: HEALTHS.flatMap((h) => found.get(h) ?? []) };
}

async function ordersNeedingAPerson(client: Client, query: string): Promise<Map<string, OrderNeedingAPerson[]>> {
  const byConnection = new Map<string, OrderNeedingAPerson[]>();
  for await (const execution of client.workflow.list({ query })) {
    const attributes = execution.typedSearchAttributes;
    const connectionId = attributes.get(ConnectionIdKey);
    if (!connectionId) continue;
    const state =
      execution.status.name === 'RUNNING'
        ? (attributes.get(OrderStateKey) ?? 'needs_attention').replace('_', ' ')
        : `closed as ${execution.status.name.toLowerCase()}`;
    const list = byConnection.get(connectionId) ?? [];
    // Shown escaped: a run started before codes were indexed escaped may hold a control or bidi character.
    const code = escapeUnsafeCharacters(attributes.get(ChannelOrderCodeKey) ?? execution.workflowId);
    list.push({ code, workflowId: execution.workflowId, state });
    byConnection.set(connectionId, list);
  }
  // The dev server's SQLite visibility store does not sort.
  for (const list of byConnection.values()) list.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return byConnection;
}

async function scheduleOf(client: Client, connectionId: string): Promise<ConnectionStatus['schedule']> {
  const scheduleId = productSyncScheduleId(connectionId);
  try {
    const { state, info } = await client.schedule.getHandle(scheduleId).describe();
    return {
      scheduleId,
      state: state.paused ? 'paused' : 'active',
      note: state.note || null,
      nextRun: state.paused ? null : (info.nextActionTimes[0] ?? null),
    };
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return { scheduleId, state: 'missing', note: null, nextRun: null };
    throw error;
  }
}

/** The start of the open source watch: of the first run of its chain (it continues as new through a long outage). */
async function sourceOfflineSinceOf(client: Client, connectionId: string): Promise<Date | null> {
  try {
    const watch = await client.workflow.getHandle(sourceWatchWorkflowId(connectionId)).describe();
    if (watch.status.name !== 'RUNNING') return null;
    const firstRunId = watch.raw.workflowExecutionInfo?.firstRunId;
    if (firstRunId && firstRunId !== watch.runId) {
      const first = await client.workflow
        .getHandle(watch.workflowId, firstRunId)
        .describe()
        .catch(() => undefined);
      if (first) return first.startTime;
    }
    return watch.startTime;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

const UNREACHABLE = /unreachable|no answer within|connection lost|did not answer/i;

async function lastSyncOf(client: Client, connectionId: string): Promise<LastSync | null> {
  const query = `WorkflowType = 'productSync' AND ConnectionId = '${connectionId}' AND ExecutionStatus IN ('Completed', 'Failed', 'TimedOut')`;
  const closed: WorkflowExecutionInfo[] = [];
  // Visibility answers the most recently closed first: the first page holds the newest.
  for await (const execution of client.workflow.list({ query, pageSize: CLOSED_PASSES_LOOKED_AT })) {
    closed.push(execution);
    if (closed.length >= CLOSED_PASSES_LOOKED_AT) break;
  }
  closed.sort((a, b) => (b.closeTime?.getTime() ?? 0) - (a.closeTime?.getTime() ?? 0));
  for (const execution of closed) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId, { followRuns: false });
    const base = { workflowId: execution.workflowId, runId: execution.runId, closedAt: execution.closeTime ?? execution.startTime };
    if (execution.status.name === 'COMPLETED') {
      const result = (await handle.result()) as ProductSyncSummary;
      if (result.skippedFor) continue;
      return {
        ...base,
        outcome: 'completed',
        read: result.listed,
        pushed: result.pushed,
        deleted: result.deleted,
        unchanged: result.unchanged,
        ignored: result.ignored,
        invalid: result.invalid,
        removed: result.removed,
        summary: result.summary,
        unreachable: false,
      };
    }
    let failure = execution.status.name === 'TIMED_OUT' ? 'the pass timed out (passTimeoutMinutes)' : 'failed';
    try {
      await handle.result();
    } catch (error) {
      if (error instanceof WorkflowFailedError) failure = error.cause?.message ?? error.message;
    }
    const noCounts = { read: null, pushed: null, deleted: null, unchanged: null, ignored: null, invalid: null, removed: null };
    return {
      ...base,
      outcome: execution.status.name === 'TIMED_OUT' ? 'timed out' : 'failed',
      ...noCounts,
      summary: failure,
      unreachable: UNREACHABLE.test(failure),
    };
  }
  return null;
}

// ------------------------------------------------------------------------------------------- rendering

export interface RenderOptions {
  color?: boolean;
  now?: Date;
}

const COLORS = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
const HEALTH_COLOR: Record<Health, keyof typeof COLORS> = {
  'source offline': 'red',
  failing: 'red',
  paused: 'yellow',
  degraded: 'yellow',
  healthy: 'green',
};

function paint(text: string, color: keyof typeof COLORS, enabled: boolean | undefined): string {
  return enabled ? `\u001b[${COLORS[color]}m${text}\u001b[0m` : text;
}

/** `2026-11-30 18:02 UTC` (with seconds: `18:02:11`). */
export function formatTime(date: Date, seconds = false): string {
  return `${date
    .toISOString()
    .slice(0, seconds ? 19 : 16)
    .replace('T', ' ')} UTC`;
}

/** `4 min ago`, `in 3 min`. */
export function relativeTime(date: Date, now: Date): string {
  const ms = date.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const span =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} days`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

const n = (value: number | null) => (value ?? 0).toLocaleString('en-US');

function healthText(status: ConnectionStatus): string {
  if (status.health === 'source offline' && status.sourceOfflineSince) return `source offline since ${formatTime(status.sourceOfflineSince)}`;
  return status.health;
}

function lastSyncText(lastSync: LastSync | null, now: Date): string {
  if (!lastSync) return 'no sync yet';
  const when = `${formatTime(lastSync.closedAt)} (${relativeTime(lastSync.closedAt, now)})`;
  if (lastSync.outcome !== 'completed') return `last sync ${when} ${lastSync.outcome}: ${lastSync.summary}`;
  return `last sync ${when}: ${n(lastSync.read)} read, ${n(lastSync.pushed)} pushed, ${n(lastSync.invalid)} invalid, ${n(lastSync.removed)} removed`;
}

function nextRunText(schedule: ConnectionStatus['schedule'], now: Date): string {
  if (schedule.state === 'missing') return 'no schedule';
  if (schedule.state === 'paused') return 'schedule paused';
  return schedule.nextRun ? `next run ${formatTime(schedule.nextRun)} (${relativeTime(schedule.nextRun, now)})` : 'no next run';
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** One line per connection: health, last sync, next run, orders needing a person, open product problems. */
export function renderStatusLines(statuses: ConnectionStatus[], options: RenderOptions = {}): string[] {
  const now = options.now ?? new Date();
  const idWidth = Math.max(0, ...statuses.map((s) => s.connectionId.length));
  const healthWidth = Math.max(0, ...statuses.map((s) => healthText(s).length));
  return statuses.map((status) =>
    [
      pad(status.connectionId, idWidth),
      paint(pad(healthText(status), healthWidth), HEALTH_COLOR[status.health], options.color),
      [
        lastSyncText(status.lastSync, now),
        nextRunText(status.schedule, now),
        `orders needing a person: ${status.ordersNeedingAPerson}`,
        `open product problems: ${status.openProductProblems}`,
      ].join(' · '),
    ].join('  '),
  );
}

/** `status <connectionId>`: the line expanded, then its open problems and the orders needing a person. */
export function renderStatusDetail(status: ConnectionStatus, options: RenderOptions = {}): string[] {
  const now = options.now ?? new Date();
  const label = (text: string) => pad(`  ${text}:`, 14);
  const lines = [
    `${paint(status.connectionId, 'bold', options.color)}: ${paint(healthText(status), HEALTH_COLOR[status.health], options.color)} (${status.name}, ${status.sourceKind})`,
  ];
  for (const [index, reason] of status.reasons.entries()) lines.push(`${index === 0 ? label('why') : pad('', 14)}${reason}`);
  const { lastSync } = status;
  if (!lastSync) lines.push(`${label('last sync')}none yet`);
  else {
    lines.push(
      `${label('last sync')}${lastSync.outcome} ${formatTime(lastSync.closedAt, true)} (${relativeTime(lastSync.closedAt, now)}), ${lastSync.workflowId}`,
    );
    lines.push(
      pad('', 14) +
        (lastSync.outcome === 'completed'
          ? `${n(lastSync.read)} read, ${n(lastSync.pushed)} pushed, ${n(lastSync.deleted)} sent as deleted, ${n(lastSync.unchanged)} unchanged, ` +
            `${n(lastSync.ignored)} ignored, ${n(lastSync.invalid)} invalid, ${n(lastSync.removed)} removed`
          : lastSync.summary),
    );
  }
  const { schedule } = status;
  lines.push(
    `${label('next run')}${
      schedule.state === 'active'
        ? `${schedule.nextRun ? `${formatTime(schedule.nextRun, true)} (${relativeTime(schedule.nextRun, now)})` : 'none'}, schedule ${schedule.scheduleId}`
        : schedule.state === 'paused'
          ? `none: schedule ${schedule.scheduleId} is paused${schedule.note ? ` (${schedule.note})` : ''}; \`sync resume ${status.connectionId}\``
          : `none: no schedule ${schedule.scheduleId}; \`schedules\` creates it`
    }`,
  );
  lines.push(
    `${label('source')}${status.sourceOfflineSince ? `offline since ${formatTime(status.sourceOfflineSince, true)} (${relativeTime(status.sourceOfflineSince, now)})` : status.lastSync?.unreachable ? 'did not answer the last pass' : 'no outage open'}`,
  );
  const orders = status.orders ?? [];
  lines.push(`  orders needing a person (${orders.length})${orders.length ? ':' : ''}`);
  const codeWidth = Math.max(0, ...orders.map((o) => o.code.length));
  for (const order of orders) lines.push(`    ${pad(order.code, codeWidth)}  ${order.state}`);
  if (orders.length) lines.push('    `order status <connectionId> <code>` says why; `order retry <connectionId> <code>` after the fix');
  const problems = status.problems ?? [];
  lines.push(`  open problems (${problems.length})${problems.length ? ':' : ''}`);
  for (const line of renderProblemLines(problems, { ...options, withConnection: false })) lines.push(`    ${line}`);
  return lines;
}

/** One line per open problem: connection, kind, code, field, reason, first and last seen. */
export function renderProblemLines(problems: Problem[], options: RenderOptions & { withConnection?: boolean } = {}): string[] {
  // A code, field or reason from a source or Stock2Shop reaches the terminal with no control or bidi character.
  const columns = problems.map((p) => [
    ...(options.withConnection === false ? [] : [p.connectionId]),
    p.kind,
    escapeUnsafeCharacters(p.code),
    escapeUnsafeCharacters(p.field || '-'),
    escapeUnsafeCharacters(p.reason),
    `first seen ${formatTime(p.firstSeen)}, last seen ${formatTime(p.lastSeen)}`,
  ]);
  const widths = columns[0]?.map((_, i) => Math.max(...columns.map((row) => row[i]!.length))) ?? [];
  return columns.map((row) =>
    row
      .map((cell, i) => {
        const text = i === row.length - 1 ? cell : pad(cell, widths[i]!);
        return i === row.length - 1 ? paint(text, 'dim', options.color) : text;
      })
      .join('  '),
  );
}

async function mapLimited<T, R>(items: T[], limit: number, body: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await body(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
