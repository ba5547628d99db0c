/** `order submit|status` and `orders`: one order, and the orders that need a person; `order retry|cancel|skip` in order-actions.ts. */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { escapeOrderCode, raiseOrderWorkflowId } from '../../domain';
import { parseStock2ShopOrder } from '../../domain/stock2shop';
import type { OrderStatus } from '../../contracts/workflows';
import { ChannelOrderCodeKey, ConnectionIdKey, OrderStateKey } from '../../contracts/search-attributes';
import { deliverOrder, type DeliveryOutcome } from '../../temporal/deliver-order';
import { findConnection, UsageError, type CliContext } from '../cli-context';
import { codeArgument, describeOrder, orderStatus, ordersNeedingAPersonQuery, shown } from './order-common';
import { registerOrderActions } from './order-actions';

export { describeOrder, ordersNeedingAPersonQuery };

export function registerOrders(program: Command, context: CliContext): void {
  const order = program.command('order').description('orders (Stock2Shop → source)');
  registerSubmit(order, context);
  registerStatus(order, context);
  registerOrderActions(order, context);
  registerNeedingAPerson(program, context);
}

function registerSubmit(order: Command, context: CliContext): void {
  order
    .command('submit <connectionId> [codeOrFile]')
    .usage('[options] <connectionId> <codeOrFile>')
    .description(
      'announce an order Stock2Shop holds (its channel_order_code): the engine reads it from Stock2Shop, like the webhook. ' +
        "With a file (Stock2Shop JSON; the demo's form), the order is first placed in the Stock2Shop simulator, then announced",
    )
    .action(async (connectionId: string, codeOrFile: string | undefined) => {
      // `submit order.json` alone: the one argument is the order, and no connection was named.
      if (codeOrFile === undefined) {
        throw new UsageError(
          "required option '-c, --connection <connectionId>' not specified: order submit <connectionId> <codeOrFile> (or --connection <connectionId> <codeOrFile>)",
        );
      }
      const connection = findConnection(context, connectionId);
      const code = isOrderFile(codeOrFile) ? await placeInSimulator(codeOrFile, connection.stock2shop.sourceId, context) : codeArgument(codeOrFile);
      const client = await context.client();
      const outcome = await deliverOrder(client, connection, code, { via: 'cli' });
      context.out(`${raiseOrderWorkflowId(connection.id, code)}: ${await deliveredAs(client, connection.id, code, outcome)}`);
    });
}

/** What a delivery found; a closed run that was skipped says so (its result, kept in history: no worker needed). */
async function deliveredAs(client: Client, connectionId: string, code: string, outcome: DeliveryOutcome): Promise<string> {
  if (outcome === 'delivered') return 'delivered';
  if (outcome === 'cancelled') return 'cancelled, never raised';
  const handle = client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));
  const closed = (await handle.describe()).status.name === 'COMPLETED' ? ((await handle.result()) as OrderStatus) : undefined;
  if (closed?.state === 'skipped' && closed.skipped) return shown(`skipped by ${closed.skipped.by} (${closed.skipped.reason}), never raised`);
  return 'already raised, not raised again';
}

/** A path to a file (or anything on disk, which then says why it is not an order file) rather than an order code. */
function isOrderFile(argument: string): boolean {
  return argument.endsWith('.json') || existsSync(argument);
}

/** The simulator's URL: STOCK2SHOP_URL, or where `npm start` runs it. */
/** The simulator's own root: its control API sits beside the published API (`STOCK2SHOP_URL` ends in `/v1`). */
function simulatorUrl(): string {
  const api = process.env.STOCK2SHOP_URL;
  return api ? new URL(api).origin : `http://127.0.0.1:${process.env.STOCK2SHOP_PORT ?? '8082'}`;
}

/**
 * The demo's file form: the order goes into the Stock2Shop simulator first (its control API, which the
 * real Stock2Shop does not have), so what is raised is what Stock2Shop holds, as for every order.
 */
async function placeInSimulator(file: string, sourceId: number, context: CliContext): Promise<string> {
  const raw = readOrderFile(file);
  const parsed = parseStock2ShopOrder(raw);
  const sources = [{ source_id: sourceId }];
  const url = `${simulatorUrl()}/_control/orders`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...(raw as object), sources }) });
  } catch {
    throw new UsageError(
      `The Stock2Shop simulator does not answer at ${url}: a file can only be placed in the simulator (\`npm start\`); on Stock2Shop itself, submit the order's code`,
    );
  }
  if (response.status === 409) context.out(`${escapeOrderCode(parsed.channel_order_code)}: already in Stock2Shop; announcing what Stock2Shop holds`);
  else if (response.status !== 201) {
    throw new UsageError(
      `${url} answered ${response.status}: a file can only be placed in the Stock2Shop simulator (\`npm start\`); on Stock2Shop itself, submit the order's code`,
    );
  }
  return parsed.channel_order_code;
}

function registerStatus(order: Command, context: CliContext): void {
  order
    .command('status <connectionId> <channelOrderCode>')
    .description("show an order's state")
    .action(async (connectionId: string, typed: string) => {
      findConnection(context, connectionId);
      context.out(describeOrder(await orderStatus(await context.client(), connectionId, codeArgument(typed))));
    });
}

function registerNeedingAPerson(program: Command, context: CliContext): void {
  program
    .command('orders [connectionId]')
    .summary('list the orders that need a person: waiting for a fix, or closed as failed')
    .description(
      'list the orders that need a person: those waiting for a fix (needs attention, or failed) and those closed as failed. ' +
        'One visibility query on the OrderState search attribute, kept current by each order; in the Web UI, filter with ' +
        'OrderState="needs_attention" (or OrderState="failed"). With a connection id, only that connection. ' +
        '`order status <connectionId> <code>` says why an order waits; `order retry --all` and `order skip --all` act on them together',
    )
    .action(async (scope: string | undefined) => {
      const client = await context.client();
      const connectionId = scope === undefined ? undefined : findConnection(context, scope).id;
      const lines: string[] = [];
      for await (const execution of client.workflow.list({ query: ordersNeedingAPersonQuery(connectionId) })) {
        const attributes = execution.typedSearchAttributes;
        // A run started before codes were shown escaped may hold the raw code.
        const order = shown(`${attributes.get(ConnectionIdKey) ?? '?'}/${attributes.get(ChannelOrderCodeKey) ?? execution.workflowId}`);
        lines.push(
          execution.status.name === 'RUNNING'
            ? `${order}: ${(attributes.get(OrderStateKey) ?? 'needs_attention').replace('_', ' ')}`
            : `${order}: closed as ${execution.status.name.toLowerCase()}`,
        );
      }
      if (lines.length === 0) {
        context.out('No order needs attention');
        return;
      }
      // The dev server's SQLite visibility store does not sort.
      for (const line of lines.sort()) context.out(line);
      context.out('`order status <connectionId> <code>` says why; `order retry <connectionId> <code>` after the fix');
    });
}

/** An order file's JSON; a file that is missing, unreadable or not JSON is a UsageError in one line (never a raw ENOENT). */
export function readOrderFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`No order file at ${file}`);
    if (code === 'EISDIR') throw new UsageError(`${file} is a folder, not an order file`);
    if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`${file} cannot be read: permission denied`);
    throw new UsageError(`${file} cannot be read (${code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not valid JSON`);
  }
}
