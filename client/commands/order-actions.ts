/** `order retry|cancel|skip`: a person acts on one order, or (`--all`) on every order waiting for a fix. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { escapeOrderCode, raiseOrderWorkflowId } from '../../domain';
import { cancelUpdate, retryUpdate, skipUpdate, type OrderStatus, type SkipRequest } from '../../contracts/workflows';
import { findConnection, UsageError, type CliContext } from '../cli-context';
import { codeArgument, orderStatus, refusedUpdate, shown } from './order-common';
import { concurrencyOption, runOnOrdersWaitingForAFix, type BulkOptions } from './order-bulk';

export function registerOrderActions(order: Command, context: CliContext): void {
  registerRetry(order, context);
  registerCancel(order, context);
  registerSkip(order, context);
}

interface OneOrAll extends BulkOptions {
  all?: boolean;
}

/** The one order named, or none with `--all` (whose connection, if given, scopes it). */
function oneOrAll(
  context: CliContext,
  command: string,
  [connectionId, typed]: [string | undefined, string | undefined],
  options: OneOrAll,
): { connectionId: string; code: string } | undefined {
  if (options.all) {
    if (typed !== undefined) throw new UsageError(`order ${command} --all names no order; --connection <connectionId> keeps it to one connection`);
    return undefined;
  }
  if (options.reasonMatches !== undefined) throw new UsageError(`--reason-matches chooses among the orders of order ${command} --all`);
  if (connectionId === undefined || typed === undefined) {
    throw new UsageError(
      `missing required argument '${connectionId === undefined ? 'connectionId' : 'channelOrderCode'}': order ${command} <connectionId> <channelOrderCode>, or order ${command} --all [--connection <connectionId>]`,
    );
  }
  findConnection(context, connectionId);
  return { connectionId, code: codeArgument(typed) };
}

/** The order's running workflow, or why there is none to act on (its closed state, in the caller's words). */
async function runningOrder(client: Client, connectionId: string, code: string, closedWhy: (status: OrderStatus) => string): Promise<WorkflowHandle> {
  const current = await orderStatus(client, connectionId, code);
  const handle = client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));
  if ((await handle.describe()).status.name !== 'RUNNING') throw new UsageError(shown(closedWhy(current)));
  return handle;
}

function withBulkOptions(command: Command, verb: string): Command {
  return command
    .option('--all', `${verb} every order waiting for a fix (OrderState needs_attention or failed), after asking on a terminal`)
    .option('--reason-matches <text>', 'with --all: only the orders whose reason contains this text (any case)')
    .option('-y, --yes', 'with --all: do not ask (for scripts; needed when not on a terminal)')
    .addOption(concurrencyOption())
    .option('--json', 'print JSON, for scripts');
}

function registerRetry(order: Command, context: CliContext): void {
  withBulkOptions(order.command('retry [connectionId] [channelOrderCode]'), 'retry')
    .usage('[options] <connectionId> <channelOrderCode> | --all [--connection <connectionId>] [--reason-matches <text>] [--yes]')
    .summary('raise an order again after its cause was fixed; --all: every order waiting for a fix, confirmed first')
    .description(
      'raise an order again after its cause was fixed. With --all, every order waiting for a fix (of one connection with --connection, ' +
        'whose reason contains --reason-matches): listed, confirmed on a terminal (--yes for scripts), retried a few at a time, and summed up',
    )
    .action(async (connectionId: string | undefined, typed: string | undefined, options: OneOrAll) => {
      const one = oneOrAll(context, 'retry', [connectionId, typed], options);
      const client = await context.client();
      if (!one) {
        await runOnOrdersWaitingForAFix(
          context,
          { ...options, connectionId },
          { verb: 'retry', done: 'retried', send: async (handle) => ({ attempt: await sendRetry(handle) }) },
        );
        return;
      }
      const handle = await runningOrder(client, one.connectionId, one.code, (current) => {
        const order = `Order ${escapeOrderCode(one.code)}`;
        if (current.state === 'raised') return `${order} is already raised as ${current.sourceOrderCode}; there is nothing to retry`;
        const byPerson = current.state === 'skipped' ? current.skipped : current.state === 'cancelled' ? current.cancelled : undefined;
        if (byPerson) return `${order} is ${current.state} (by ${byPerson.by}: ${byPerson.reason}); it is never raised`;
        return `${order} stopped waiting for a fix (${current.reason ?? current.state}); announce it again from Stock2Shop to start over`;
      });
      const attempt = await sendRetry(handle);
      context.out(
        options.json ? JSON.stringify({ workflowId: handle.workflowId, retried: true, attempt }) : `${handle.workflowId}: retry accepted (attempt ${attempt})`,
      );
    });
}

async function sendRetry(handle: WorkflowHandle): Promise<number> {
  try {
    return (await handle.executeUpdate(retryUpdate)).attempt;
  } catch (error) {
    throw refusedUpdate(error);
  }
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
      const handle = await runningOrder(await context.client(), connectionId, code, (current) =>
        current.state === 'raised'
          ? `Order ${escapeOrderCode(code)} is already raised as ${current.sourceOrderCode}; cancel it in the source by hand`
          : `Order ${escapeOrderCode(code)} is closed (${current.reason ?? current.state}); there is nothing to cancel`,
      );
      const by = options.by ?? userInfo().username;
      try {
        await handle.executeUpdate(cancelUpdate, { args: [{ reason: options.reason.trim(), by }] });
      } catch (error) {
        throw refusedUpdate(error);
      }
      context.out(shown(`${handle.workflowId}: cancelled by ${by}; Stock2Shop is told, and it is never raised`));
    });
}

function registerSkip(order: Command, context: CliContext): void {
  withBulkOptions(order.command('skip [connectionId] [channelOrderCode]'), 'skip')
    .usage(
      '[options] <connectionId> <channelOrderCode> --reason <text> | --all [--connection <connectionId>] [--reason-matches <text>] --reason <text> [--yes]',
    )
    .summary('close an order handled outside the engine (keyed in by hand): skipped, Stock2Shop told, never raised; --all as retry --all')
    .description(
      'close an order that was handled outside the engine (keyed in by hand): it ends as skipped with the reason and who did it, ' +
        'Stock2Shop is told (its queue item skipped), and it is never raised, however often it is announced. Taken while the order ' +
        'waits for a fix or for its source; refused for an order that is raised or being raised. With --all, every order waiting for a fix, as `order retry --all`',
    )
    .requiredOption('--reason <text>', 'how it was handled, as Stock2Shop will show it (e.g. "keyed in by hand as SO1234")')
    .option('--by <name>', 'who handled it (default: the OS user)')
    .action(async (connectionId: string | undefined, typed: string | undefined, options: OneOrAll & { reason: string; by?: string }) => {
      const request: SkipRequest = { reason: options.reason.trim(), by: (options.by ?? userInfo().username).trim() };
      if (request.reason === '') throw new UsageError('--reason needs a text');
      if (request.by === '') throw new UsageError('--by needs a name');
      const one = oneOrAll(context, 'skip', [connectionId, typed], options);
      if (!one) {
        const send = async (handle: WorkflowHandle) => ({ by: await sendSkip(handle, request) });
        await runOnOrdersWaitingForAFix(context, { ...options, connectionId }, { verb: 'skip', done: 'skipped', send });
        return;
      }
      const handle = await runningOrder(await context.client(), one.connectionId, one.code, (current) =>
        current.state === 'raised'
          ? `Order ${escapeOrderCode(one.code)} is already raised as ${current.sourceOrderCode}; there is nothing to skip`
          : current.state === 'skipped' && current.skipped
            ? `Order ${escapeOrderCode(one.code)} is skipped already (by ${current.skipped.by}: ${current.skipped.reason})`
            : `Order ${escapeOrderCode(one.code)} is closed (${current.reason ?? current.state}); there is nothing to skip`,
      );
      await sendSkip(handle, request);
      context.out(
        options.json
          ? JSON.stringify({ workflowId: handle.workflowId, skipped: true, ...request })
          : shown(`${handle.workflowId}: skipped by ${request.by} (${request.reason}); Stock2Shop is told, and it is never raised`),
      );
    });
}

async function sendSkip(handle: WorkflowHandle, request: SkipRequest): Promise<string> {
  try {
    await handle.executeUpdate(skipUpdate, { args: [request] });
    return request.by;
  } catch (error) {
    throw refusedUpdate(error);
  }
}
