/**
 * `order retry --all` and `order skip --all`: the orders waiting for a fix (visibility, on the
 * `OrderState` search attribute), each one's reason read from its workflow, listed; confirmed on a
 * terminal (`--yes` for scripts; neither: refused); then each order's Update a few at a time, and a
 * summary of what was done and what each refused order said.
 */
import { createInterface } from 'node:readline';
import { InvalidArgumentError, Option } from 'commander';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { statusQuery, type OrderStatus } from '../../contracts/workflows';
import { ChannelOrderCodeKey, ConnectionIdKey } from '../../contracts/search-attributes';
import { findConnection, UsageError, type CliContext } from '../cli-context';
import { describeOrder, ordersWaitingForAFixQuery, shown } from './order-common';

export interface BulkOptions {
  reasonMatches?: string;
  yes?: boolean;
  json?: boolean;
  concurrency: number;
}

export interface BulkAction {
  verb: 'retry' | 'skip';
  done: 'retried' | 'skipped';
  /** The order's Update: what it accepted (`{ attempt: 2 }`), or it throws why not. */
  send(handle: WorkflowHandle): Promise<Record<string, string | number>>;
}

interface Planned {
  /** `connectionId/code` as shown. */
  order: string;
  workflowId: string;
  state: string;
  reason?: string;
}

interface Summary {
  action: BulkAction['verb'];
  connectionId: string | null;
  reasonMatches: string | null;
  orders: Planned[];
  done: (Planned & Record<string, unknown>)[];
  refused: (Pick<Planned, 'order' | 'workflowId'> & { why: string })[];
}

const DEFAULT_CONCURRENCY = 4;

export function concurrencyOption(): Option {
  return new Option('--concurrency <n>', 'with --all: how many orders at a time (1-32)').default(DEFAULT_CONCURRENCY).argParser((value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 32) throw new InvalidArgumentError('a whole number from 1 to 32');
    return n;
  });
}

export async function runOnOrdersWaitingForAFix(context: CliContext, options: BulkOptions & { connectionId?: string }, action: BulkAction): Promise<void> {
  const scope = options.connectionId === undefined ? undefined : findConnection(context, options.connectionId).id;
  const client = await context.client();
  const summary: Summary = {
    action: action.verb,
    connectionId: scope ?? null,
    reasonMatches: options.reasonMatches ?? null,
    orders: [],
    done: [],
    refused: [],
  };
  const listed = await listWaitingForAFix(client, scope);
  const read = await eachAtMost(options.concurrency, listed, (entry) => readOne(client, entry));
  for (const entry of read) {
    if ('why' in entry) summary.refused.push(entry);
    else if (entry.state !== 'needs_attention' && entry.state !== 'failed')
      continue; // it moved on since visibility saw it
    else if (matches(entry.reason, options.reasonMatches)) summary.orders.push(entry);
  }
  const what = describeScope(summary);
  if (summary.orders.length === 0) {
    if (options.json) context.out(JSON.stringify(summary, null, 2));
    else context.out(`No order waiting for a fix to ${action.verb}${what}`);
    if (summary.refused.length > 0) notAllDone(action, summary);
    return;
  }
  const say = options.json ? (context.err ?? context.out) : context.out;
  if (!options.json || !options.yes) {
    say(`${summary.orders.length} ${plural(summary.orders.length)} to ${action.verb}${what}:`);
    for (const line of columns(summary.orders.map((o) => [o.order, `${o.state.replace('_', ' ')}${o.reason ? `: ${o.reason}` : ''}`]))) say(shown(`  ${line}`));
  }
  if (!(await confirmed(action, summary.orders.length, options))) {
    context.out(`Not confirmed: nothing ${action.done}`);
    return;
  }
  const results = await eachAtMost(options.concurrency, summary.orders, async (entry) => {
    try {
      return { ...entry, ...(await action.send(client.workflow.getHandle(entry.workflowId))) };
    } catch (error) {
      return { order: entry.order, workflowId: entry.workflowId, why: await whyRefused(client, entry.workflowId, error as Error) };
    }
  });
  for (const result of results) {
    if ('why' in result) summary.refused.push(result as Summary['refused'][number]);
    else summary.done.push(result);
  }
  report(context, action, summary, options.json === true);
}

/** What the order said; one that closed since it was listed, how it closed (its result, kept in history). */
async function whyRefused(client: Client, workflowId: string, error: Error): Promise<string> {
  if (error instanceof UsageError) return error.message;
  const handle = client.workflow.getHandle(workflowId);
  const closed = await handle.describe().then(
    (description) => description.status.name,
    () => undefined,
  );
  if (closed === undefined || closed === 'RUNNING') return error.message;
  if (closed !== 'COMPLETED') return `it closed meanwhile (${closed.toLowerCase()})`;
  const result = (await handle.result()) as OrderStatus;
  return `it closed meanwhile: ${describeOrder(result).replace(/^[^:]*: /, '')}`;
}

/** The running orders whose `OrderState` says they wait for a fix, in code order. */
async function listWaitingForAFix(client: Client, scope: string | undefined): Promise<Pick<Planned, 'order' | 'workflowId'>[]> {
  const found: Pick<Planned, 'order' | 'workflowId'>[] = [];
  for await (const execution of client.workflow.list({ query: ordersWaitingForAFixQuery(scope) })) {
    const attributes = execution.typedSearchAttributes;
    found.push({
      order: `${attributes.get(ConnectionIdKey) ?? '?'}/${attributes.get(ChannelOrderCodeKey) ?? execution.workflowId}`,
      workflowId: execution.workflowId,
    });
  }
  // The dev server's SQLite visibility store does not sort.
  return found.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
}

/** Where the order stands and why, from its workflow (the reason is in no search attribute). */
async function readOne(client: Client, entry: Pick<Planned, 'order' | 'workflowId'>): Promise<Planned | Summary['refused'][number]> {
  try {
    const status: OrderStatus = await client.workflow.getHandle(entry.workflowId).query(statusQuery);
    return { ...entry, state: status.state, ...(status.reason === undefined ? {} : { reason: status.reason }) };
  } catch (error) {
    return { ...entry, why: `its status could not be read: ${(error as Error).message}` };
  }
}

function matches(reason: string | undefined, text: string | undefined): boolean {
  return text === undefined || (reason ?? '').toLowerCase().includes(text.toLowerCase());
}

/** On a terminal, a person says yes; elsewhere `--yes` must (a script that forgot it is refused, exit 2). */
async function confirmed(action: BulkAction, count: number, options: BulkOptions): Promise<boolean> {
  if (options.yes) return true;
  if (!process.stdin.isTTY) {
    throw new UsageError(`order ${action.verb} --all asks before it acts and this is not a terminal: add --yes to ${action.verb} ${these(count)}`);
  }
  const verb = action.verb === 'retry' ? 'Retry' : 'Skip';
  // Not readline's terminal mode: the terminal echoes the answer itself, and no cursor codes reach a log of the session.
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  process.stderr.write(`${verb} ${these(count)}? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    rl.once('close', () => resolve(''));
    rl.once('line', resolve);
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

function report(context: CliContext, action: BulkAction, summary: Summary, json: boolean): void {
  if (json) context.out(JSON.stringify(summary, null, 2));
  else {
    const rows = [...summary.done.map((d) => [action.done, d.order, detailOf(d)]), ...summary.refused.map((r) => ['refused', r.order, r.why])];
    for (const line of columns(rows)) context.out(shown(line));
    context.out(`${summary.done.length} ${action.done}, ${summary.refused.length} refused (of ${summary.orders.length + countUnread(summary)})`);
  }
  if (summary.refused.length > 0) notAllDone(action, summary);
}

/** What the order's Update accepted, as words: `attempt 2`, `by ana`. */
function detailOf(done: Summary['done'][number]): string {
  if (typeof done.attempt === 'number') return `attempt ${done.attempt}`;
  return typeof done.by === 'string' ? `by ${done.by}` : '';
}

function countUnread(summary: Summary): number {
  return summary.refused.filter((r) => !summary.orders.some((o) => o.workflowId === r.workflowId)).length;
}

function notAllDone(action: BulkAction, summary: Summary): never {
  const total = summary.orders.length + countUnread(summary);
  throw new Error(`${summary.refused.length} of ${total} ${plural(total)} not ${action.done} (each says why above)`);
}

function describeScope(summary: Summary): string {
  const parts = [summary.connectionId ? `connection ${summary.connectionId}` : 'every connection'];
  if (summary.reasonMatches !== null) parts.push(`reason containing "${summary.reasonMatches}"`);
  return ` (${parts.join('; ')})`;
}

const plural = (count: number) => (count === 1 ? 'order' : 'orders');
const these = (count: number) => (count === 1 ? 'this order' : `these ${count} orders`);

/** Rows of cells as aligned text, the last cell free. */
function columns(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

/** `work` on every item, at most `limit` at a time, the results in the items' order. */
async function eachAtMost<T, R>(limit: number, items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
