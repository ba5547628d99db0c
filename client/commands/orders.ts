/** `order submit|status|retry|cancel` and `orders`: one order, and the orders that need a person. */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { escapeOrderCode, escapeUnsafeCharacters, raiseOrderWorkflowId, unescapeOrderCode } from '../../domain';
import { parseStock2ShopOrder } from '../../domain/stock2shop';
import { cancelUpdate, retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { ChannelOrderCodeKey, ConnectionIdKey, OrderStateKey } from '../../contracts/search-attributes';
import { deliverOrder } from '../../temporal/deliver-order';
import { findConnection, UsageError, type CliContext } from '../cli-context';

/** Text for the terminal: no control, bidi or invisible character of a code or reason reaches it raw. */
const shown = escapeUnsafeCharacters;

export function registerOrders(program: Command, context: CliContext): void {
  const order = program.command('order').description('orders (Stock2Shop → source)');
  registerSubmit(order, context);
  registerStatus(order, context);
  registerRetry(order, context);
  registerCancel(order, context);
  registerNeedingAPerson(program, context);
}

function registerSubmit(order: Command, context: CliContext): void {
  order
    .command('submit <codeOrFile>')
    .description(
      'announce an order Stock2Shop holds (its channel_order_code): the engine reads it from Stock2Shop, like the webhook. ' +
        "With a file (Stock2Shop JSON; the demo's form), the order is first placed in the Stock2Shop simulator, then announced",
    )
    .requiredOption('-c, --connection <connectionId>', 'the connection to raise it in')
    .action(async (codeOrFile: string, options: { connection: string }) => {
      const connection = findConnection(context, options.connection);
      const code = isOrderFile(codeOrFile) ? await placeInSimulator(codeOrFile, connection.stock2shop.sourceId, context) : codeArgument(codeOrFile);
      const outcome = await deliverOrder(await context.client(), connection, code, { via: 'cli' });
      const workflowId = raiseOrderWorkflowId(connection.id, code);
      const said = { already_raised: 'already raised, not raised again', cancelled: 'cancelled, never raised', delivered: 'delivered' } as const;
      context.out(`${workflowId}: ${said[outcome]}`);
    });
}

/** An order code as typed: Stock2Shop's own, or as the engine shows it (`WEB-\u202E1001`, copied from a reason or a workflow id). */
function codeArgument(typed: string): string {
  return unescapeOrderCode(typed.trim());
}

/** A path to a file (or anything on disk, which then says why it is not an order file) rather than an order code. */
function isOrderFile(argument: string): boolean {
  return argument.endsWith('.json') || existsSync(argument);
}

/** The simulator's URL: STOCK2SHOP_URL, or where `npm start` runs it. */
function simulatorUrl(): string {
  return process.env.STOCK2SHOP_URL ?? `http://127.0.0.1:${process.env.STOCK2SHOP_PORT ?? '8082'}`;
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

function registerRetry(order: Command, context: CliContext): void {
  order
    .command('retry <connectionId> <channelOrderCode>')
    .description('raise an order again after its cause was fixed')
    .action(async (connectionId: string, typed: string) => {
      findConnection(context, connectionId);
      const code = codeArgument(typed);
      const client = await context.client();
      const current = await orderStatus(client, connectionId, code);
      const handle = client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));
      if ((await handle.describe()).status.name !== 'RUNNING') {
        throw new UsageError(
          shown(
            current.state === 'raised'
              ? `Order ${escapeOrderCode(code)} is already raised as ${current.sourceOrderCode}; there is nothing to retry`
              : `Order ${escapeOrderCode(code)} stopped waiting for a fix (${current.reason ?? current.state}); announce it again from Stock2Shop to start over`,
          ),
        );
      }
      try {
        const accepted = await handle.executeUpdate(retryUpdate);
        context.out(`${handle.workflowId}: retry accepted (attempt ${accepted.attempt})`);
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) throw new UsageError(shown(error.cause?.message ?? error.message));
        throw error;
      }
    });
}

function registerCancel(order: Command, context: CliContext): void {
  order
    .command('cancel <connectionId> <channelOrderCode>')
    .description(
      'cancel an order that must not be raised: it ends as cancelled, Stock2Shop is told, and neither the poll nor the webhook ' +
        'raises it again. Refused for an order that is raised or being raised (cancel it in the source by hand)',
    )
    .requiredOption('--reason <text>', 'why, as Stock2Shop will show it')
    .option('--by <name>', 'who cancels it (default: the OS user)')
    .action(async (connectionId: string, typed: string, options: { reason: string; by?: string }) => {
      findConnection(context, connectionId);
      if (options.reason.trim() === '') throw new UsageError('--reason needs a text');
      const code = codeArgument(typed);
      const client = await context.client();
      const current = await orderStatus(client, connectionId, code);
      const handle = client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));
      if ((await handle.describe()).status.name !== 'RUNNING') {
        throw new UsageError(
          shown(
            current.state === 'raised'
              ? `Order ${escapeOrderCode(code)} is already raised as ${current.sourceOrderCode}; cancel it in the source by hand`
              : `Order ${escapeOrderCode(code)} is closed (${current.reason ?? current.state}); there is nothing to cancel`,
          ),
        );
      }
      const by = options.by ?? userInfo().username;
      try {
        await handle.executeUpdate(cancelUpdate, { args: [{ reason: options.reason.trim(), by }] });
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) throw new UsageError(shown(error.cause?.message ?? error.message));
        throw error;
      }
      context.out(shown(`${handle.workflowId}: cancelled by ${by}; Stock2Shop is told, and it is never raised`));
    });
}

function registerNeedingAPerson(program: Command, context: CliContext): void {
  program
    .command('orders')
    .summary('list the orders that need a person: waiting for a fix, or closed as failed')
    .description(
      'list the orders that need a person: those waiting for a fix (needs attention, or failed) and those closed as failed. ' +
        'One visibility query on the OrderState search attribute, kept current by each order; in the Web UI, filter with ' +
        'OrderState="needs_attention" (or OrderState="failed"). `order status <connectionId> <code>` says why an order waits',
    )
    .option('-c, --connection <connectionId>', 'only this connection')
    .action(async (options: { connection?: string }) => {
      const client = await context.client();
      const connectionId = options.connection === undefined ? undefined : findConnection(context, options.connection).id;
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

/**
 * The orders that need a person, as one visibility query: open orders whose `OrderState` search
 * attribute says they wait for a fix, and orders closed as failed. An open order started before
 * raiseOrder kept `OrderState` has none until its next state change.
 */
export function ordersNeedingAPersonQuery(connectionId?: string): string {
  const scope = connectionId === undefined ? '' : ` AND ConnectionId = '${connectionId}'`;
  return (
    `WorkflowType = 'raiseOrder' AND ((ExecutionStatus = 'Running' AND ${OrderStateKey.name} IN ('needs_attention', 'failed')) ` +
    `OR ExecutionStatus = 'Failed')${scope}`
  );
}

async function orderStatus(client: Client, connectionId: string, code: string): Promise<OrderStatus> {
  try {
    return await client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code)).query(statusQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new UsageError(`No order ${escapeOrderCode(code)} has been delivered to ${connectionId}`);
    throw error;
  }
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

export function describeOrder(status: OrderStatus): string {
  const deliveries = Object.values(status.deliveries).reduce((a, b) => a + b, 0);
  const detail =
    status.state === 'raised'
      ? ` as ${status.sourceOrderCode}${status.alreadyExisted ? ' (found already in the source)' : ''}${status.writeBackPending ? ', write-back to Stock2Shop pending' : ''}` +
        (status.notApplied ? `; ${status.notApplied.join('; ')}` : '')
      : status.state === 'cancelled' && status.cancelled
        ? ` by ${status.cancelled.by} (${status.cancelled.reason}); never raised`
        : status.reason
          ? `: ${status.reason}`
          : '';
  const line = `${status.connectionId}/${escapeOrderCode(status.channelOrderCode)}: ${status.state.replace('_', ' ')}${detail} (attempts ${status.attempts}, deliveries ${deliveries})`;
  return shown(line);
}
