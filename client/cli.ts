/**
 * The engineer's command line: `npm run cli -- <command>` (or `node --import tsx client/cli.ts`).
 * Temporal's address and the connections file come from the environment (see README).
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Command, CommanderError } from 'commander';
import {
  Connection as GrpcConnection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import {
  CENTRAL_TASK_QUEUE,
  CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE,
  orderContentHash,
  productSyncScheduleId,
  manualProductSyncWorkflowId,
  raiseOrderWorkflowId,
  type Connection,
} from '../domain';
import { parseStock2ShopOrder } from '../domain/stock2shop';
import { deliverOrder } from '../temporal/deliver-order';
import { cancelUpdate, progressQuery, retryUpdate, statusQuery, type OrderStatus } from '../contracts/workflows';
import { ConfigurationError, loadConnections } from '../config/config';
import { closeDatabase, productStoreFromEnv } from '../store/from-env';
import { connectClient, dataConverterFromEnv } from '../temporal/connect';
import { connectionOptions, temporalSettingsFromEnv } from '../temporal/settings';
import { generateKeyRingText } from '../temporal/payload-codec';
import { applyConnectionSchedules, pruneSchedules } from './schedules';
import { renderProgress } from './progress';
import { ChannelOrderCodeKey, ConnectionIdKey, OrderStateKey, projectSearchAttributes } from '../contracts/search-attributes';
import { describeSetupReport, NamespaceSetupError, parseRetentionDays, setupNamespace, SetupOptionsError } from './namespace-setup';
import { problemLedgerOf, type ProblemLedger } from '../store/product-state';
import { gatherStatus, renderProblemLines, renderStatusDetail, renderStatusLines } from './status';
import { registerPatchCommands } from './patches';
import { connectionPriority } from '../temporal/priority';

export interface CliContext {
  client: () => Promise<Client>;
  connections: () => Connection[];
  out: (line: string) => void;
  /** Where errors go (default: `out`); the command line writes them to stderr. */
  err?: (line: string) => void;
  /**
   * A bare connection to Temporal and the namespace, for `setup` (which needs no payload key).
   * Default: the connection and namespace of `client()`.
   */
  temporal?: () => Promise<{ connection: GrpcConnection; namespace: string }>;
  /** The problem ledger the workers write (the product state store), for `status` and `problems`. */
  problems?: () => ProblemLedger;
  /** Colour the output (a terminal without NO_COLOR). */
  color?: boolean;
}

/** A mistake of the user's: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function findConnection(context: CliContext, connectionId: string): Connection {
  const all = context.connections();
  const connection = all.find((c) => c.id === connectionId);
  if (!connection) throw new UsageError(`Unknown connection '${connectionId}'. Configured: ${all.map((c) => c.id).join(', ') || 'none'}`);
  return connection;
}

async function latestSyncOf(client: Client, connectionId: string): Promise<string | undefined> {
  // The dev server's SQLite visibility store does not sort, so pick the newest here.
  let latest: { workflowId: string; startTime: Date } | undefined;
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'productSync' AND ConnectionId = '${connectionId}'` })) {
    if (!latest || execution.startTime > latest.startTime) latest = { workflowId: execution.workflowId, startTime: execution.startTime };
  }
  return latest?.workflowId;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function buildCli(context: CliContext): Command {
  const program = new Command('s2s')
    .description('Stock2Shop integration engine: product syncs and order raises on Temporal')
    .exitOverride()
    .configureOutput({ writeOut: (s) => context.out(s.trimEnd()), writeErr: (s) => (context.err ?? context.out)(s.trimEnd()) });

  program
    .command('setup')
    .summary('prepare the Temporal namespace for the engine (once per namespace): search attributes and retention')
    .description(
      "prepare the Temporal namespace (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE) for the engine: register the project's search attributes " +
        `(${projectSearchAttributes.map((key) => key.name).join(', ')}) and set the workflow retention. Run it once per namespace, and again after an ` +
        'upgrade that adds a search attribute; it changes only what differs. Not needed for `npm start`, which does it itself. ' +
        'On Temporal Cloud it says what to run with tcld (or in the Cloud UI) for what a client may not change',
    )
    .option('--retention-days <days>', `how long a closed workflow (and so an order's id) is kept, in whole days (default: TEMPORAL_RETENTION_DAYS, else 30)`)
    .action(async (options: { retentionDays?: string }) => {
      let retentionDays: number;
      try {
        retentionDays =
          options.retentionDays !== undefined
            ? parseRetentionDays(options.retentionDays, '--retention-days')
            : parseRetentionDays(process.env.TEMPORAL_RETENTION_DAYS, 'TEMPORAL_RETENTION_DAYS');
      } catch (error) {
        if (error instanceof SetupOptionsError) throw new UsageError(error.message);
        throw error;
      }
      const target = context.temporal
        ? await context.temporal()
        : await context.client().then((client) => {
            if (!(client.connection instanceof GrpcConnection)) throw new Error('setup needs a gRPC connection to Temporal');
            return { connection: client.connection, namespace: client.options.namespace };
          });
      try {
        const report = await setupNamespace(target.connection, { namespace: target.namespace, retentionDays });
        for (const line of describeSetupReport(report)) context.out(line);
      } catch (error) {
        if (error instanceof NamespaceSetupError && error.report) for (const line of describeSetupReport(error.report)) context.out(line);
        if (error instanceof SetupOptionsError) throw new UsageError(error.message);
        throw error;
      }
    });

  program
    .command('connections')
    .description('list the configured connections')
    .action(() => {
      for (const c of context.connections()) {
        context.out(`${c.id}\t${c.sourceKind}\tevery ${c.syncIntervalMinutes} min\t${c.endpoint}\t${c.name}`);
      }
    });

  const sync = program.command('sync').description('product syncs (source → Stock2Shop)');
  sync
    .command('run <connectionId>')
    .description('start a product sync now')
    .option('--full', 'push every product, changed or not')
    .option('--wait', 'wait for it and print the summary')
    .action(async (connectionId: string, options: { full?: boolean; wait?: boolean }) => {
      const connection = findConnection(context, connectionId);
      const client = await context.client();
      const workflowId = manualProductSyncWorkflowId(connection.id);
      const handle = await client.workflow
        .start('productSync', {
          taskQueue: CENTRAL_TASK_QUEUE,
          workflowId,
          args: [{ connectionId: connection.id, full: options.full ?? false }],
          priority: connectionPriority(connection.id),
        })
        .catch((error: Error) => {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          throw new UsageError(`A manual pass of ${connection.id} is running already (${workflowId}); \`sync watch ${connection.id}\` follows it`);
        });
      context.out(`Started ${handle.workflowId}`);
      if (options.wait) context.out((await handle.result()).summary);
    });
  sync
    .command('watch <connectionId>')
    .description("show the progress of the connection's latest sync until it ends")
    .option('--interval <ms>', 'how often to ask', '500')
    .action(async (connectionId: string, options: { interval: string }) => {
      findConnection(context, connectionId);
      const client = await context.client();
      const workflowId = await latestSyncOf(client, connectionId);
      if (!workflowId) throw new UsageError(`No product sync of '${connectionId}' has run yet`);
      const handle = client.workflow.getHandle(workflowId);
      for (;;) {
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') {
          const result = status.name === 'COMPLETED' ? ((await handle.result()) as { summary: string }).summary : status.name;
          context.out(`${workflowId}: ${result}`);
          return;
        }
        context.out(renderProgress(await handle.query(progressQuery)));
        await sleep(Number(options.interval));
      }
    });
  for (const [name, verb] of [
    ['pause', 'pause'],
    ['resume', 'unpause'],
    ['trigger', 'trigger'],
  ] as const) {
    sync
      .command(`${name} <connectionId>`)
      .description(`${name} the connection's product sync schedule`)
      .action(async (connectionId: string) => {
        findConnection(context, connectionId);
        const handle = (await context.client()).schedule.getHandle(productSyncScheduleId(connectionId));
        await (verb === 'trigger' ? handle.trigger() : handle[verb](`${name} from the CLI`));
        context.out(`${productSyncScheduleId(connectionId)}: ${name === 'trigger' ? 'triggered' : `${name}d`}`);
      });
  }

  program
    .command('schedules')
    .summary('create or update the schedules of every configured connection, and delete those no longer configured')
    .description(
      'create or update the schedules of every configured connection (product-sync/<id>, and order-poll/<id> unless its ' +
        'create_order setting is off, in which case an existing order poll is deleted), each at its own fixed phase within its interval; ' +
        'then delete the product-sync/<id> and order-poll/<id> schedules of connections no longer configured. ' +
        'No other schedule in the namespace is touched',
    )
    .option('--no-prune', 'keep the schedules of connections no longer configured')
    .action(async (options: { prune: boolean }) => {
      const client = await context.client();
      const connections = context.connections();
      for (const connection of connections) {
        const outcome = await applyConnectionSchedules(client, connection);
        const poll =
          outcome.orderPoll === 'removed'
            ? ', order poll removed (create_order is off)'
            : outcome.orderPoll
              ? `, order poll ${outcome.orderPoll}`
              : connection.settings.create_order
                ? ''
                : ', no order poll (create_order is off)';
        context.out(`${connection.id}: product sync ${outcome.productSync}${poll}`);
      }
      if (!options.prune) return;
      for (const { scheduleId, connectionId } of await pruneSchedules(client, connections)) {
        context.out(`${scheduleId}: removed (connection ${connectionId} is no longer configured)`);
      }
    });

  const order = program.command('order').description('orders (Stock2Shop → source)');
  order
    .command('submit <file>')
    .description(
      'for operators: raise an order from a file (Stock2Shop JSON) instead of reading it from Stock2Shop. ' +
        'The webhook and the poll only ever raise what Stock2Shop holds; this command trusts the person running it',
    )
    .requiredOption('-c, --connection <connectionId>', 'the connection to raise it in')
    .action(async (file: string, options: { connection: string }) => {
      const connection = findConnection(context, options.connection);
      const raw = readOrderFile(file);
      const parsed = parseStock2ShopOrder(raw);
      const outcome = await deliverOrder(await context.client(), connection, parsed.channel_order_code, {
        via: 'cli',
        contentHash: orderContentHash(raw),
        submittedOrder: raw,
      });
      const workflowId = raiseOrderWorkflowId(connection.id, parsed.channel_order_code);
      const said = { already_raised: 'already raised, not raised again', cancelled: 'cancelled, never raised', delivered: 'delivered' } as const;
      context.out(`${workflowId}: ${said[outcome]}`);
    });
  order
    .command('status <connectionId> <channelOrderCode>')
    .description("show an order's state")
    .action(async (connectionId: string, code: string) => {
      findConnection(context, connectionId);
      context.out(describeOrder(await orderStatus(await context.client(), connectionId, code)));
    });
  order
    .command('retry <connectionId> <channelOrderCode>')
    .description('raise an order again after its cause was fixed')
    .action(async (connectionId: string, code: string) => {
      findConnection(context, connectionId);
      const client = await context.client();
      const current = await orderStatus(client, connectionId, code);
      const handle = client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));
      if ((await handle.describe()).status.name !== 'RUNNING') {
        throw new UsageError(
          current.state === 'raised'
            ? `Order ${code} is already raised as ${current.sourceOrderCode}; there is nothing to retry`
            : `Order ${code} stopped waiting for a fix (${current.reason ?? current.state}); announce it again from Stock2Shop to start over`,
        );
      }
      try {
        const accepted = await handle.executeUpdate(retryUpdate);
        context.out(`${handle.workflowId}: retry accepted (attempt ${accepted.attempt})`);
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) throw new UsageError(error.cause?.message ?? error.message);
        throw error;
      }
    });
  order
    .command('cancel <connectionId> <channelOrderCode>')
    .description(
      'cancel an order that must not be raised: it ends as cancelled, Stock2Shop is told, and neither the poll nor the webhook ' +
        'raises it again. Refused for an order that is raised or being raised (cancel it in the source by hand)',
    )
    .requiredOption('--reason <text>', 'why, as Stock2Shop will show it')
    .option('--by <name>', 'who cancels it (default: the OS user)')
    .action(async (connectionId: string, code: string, options: { reason: string; by?: string }) => {
      findConnection(context, connectionId);
      if (options.reason.trim() === '') throw new UsageError('--reason needs a text');
      const client = await context.client();
      const current = await orderStatus(client, connectionId, code);
      const handle = client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));
      if ((await handle.describe()).status.name !== 'RUNNING') {
        throw new UsageError(
          current.state === 'raised'
            ? `Order ${code} is already raised as ${current.sourceOrderCode}; cancel it in the source by hand`
            : `Order ${code} is closed (${current.reason ?? current.state}); there is nothing to cancel`,
        );
      }
      const by = options.by ?? userInfo().username;
      try {
        await handle.executeUpdate(cancelUpdate, { args: [{ reason: options.reason.trim(), by }] });
      } catch (error) {
        if (error instanceof WorkflowUpdateFailedError) throw new UsageError(error.cause?.message ?? error.message);
        throw error;
      }
      context.out(`${handle.workflowId}: cancelled by ${by}; Stock2Shop is told, and it is never raised`);
    });
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
        const order = `${attributes.get(ConnectionIdKey) ?? '?'}/${attributes.get(ChannelOrderCodeKey) ?? execution.workflowId}`;
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

  program
    .command('status [connectionId]')
    .summary('where each connection stands: health, last sync, next run, orders needing a person, open problems')
    .description(
      'one line per configured connection: its health (healthy, degraded, source offline since …, paused, failing), its last sync ' +
        '(when it closed; read, pushed, invalid, removed), its next scheduled run, the orders needing a person and the open product problems. ' +
        'With a connection id: that connection in detail, with its open problems and orders. Read from Temporal (visibility, the schedule) ' +
        'and the product state store; never from a source or Stock2Shop',
    )
    .option('--json', 'print JSON (an array, one object per connection), for scripts')
    .action(async (connectionId: string | undefined, options: { json?: boolean }) => {
      const connections = connectionId === undefined ? context.connections() : [findConnection(context, connectionId)];
      if (connections.length === 0 && !options.json) {
        context.out('No connection is configured');
        return;
      }
      const statuses = await gatherStatus(await context.client(), connections, problemLedger(context), {
        detail: connectionId !== undefined,
        ordersQuery: ordersNeedingAPersonQuery,
      });
      if (options.json) context.out(JSON.stringify(statuses, null, 2));
      else if (connectionId !== undefined) for (const line of renderStatusDetail(statuses[0]!, { color: context.color })) context.out(line);
      else for (const line of renderStatusLines(statuses, { color: context.color })) context.out(line);
    });

  program
    .command('problems [connectionId]')
    .summary('list the open problems: product records rejected or refused, orders needing a person')
    .description(
      'list the open problems, one a line: connection, kind (product, order), code, field, reason, first and last seen. A product ' +
        'problem closes by itself when its record next syncs clean, an order problem when the order is raised',
    )
    .option('--json', 'print JSON (an array of problems), for scripts')
    .action(async (connectionId: string | undefined, options: { json?: boolean }) => {
      const scope = connectionId === undefined ? undefined : findConnection(context, connectionId).id;
      const problems = await problemLedger(context).openProblems(scope);
      if (options.json) context.out(JSON.stringify(problems, null, 2));
      else if (problems.length === 0) context.out(scope ? `No open problem for ${scope}` : 'No open problem');
      else for (const line of renderProblemLines(problems, { color: context.color })) context.out(line);
    });

  program
    .command('customers')
    .description('customer sync (not supported by iSync or Omni Accounts)')
    .argument('[action]', 'sync')
    .action(() => {
      throw new UsageError(CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE);
    });

  program
    .command('keys')
    .description('payload encryption keys')
    .command('generate [id]')
    .description('print a fresh key entry for PAYLOAD_CODEC_KEYS (put it first to rotate; keep the old entries after it)')
    .action((id?: string) => {
      context.out(generateKeyRingText(id ?? `key-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`));
    });

  registerPatchCommands(program, context);
  return program;
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

function problemLedger(context: CliContext): ProblemLedger {
  const ledger = context.problems?.();
  if (!ledger) throw new Error('no problem ledger: the product state store is not available to this command');
  return ledger;
}

async function orderStatus(client: Client, connectionId: string, code: string): Promise<OrderStatus> {
  try {
    return await client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code)).query(statusQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new UsageError(`No order ${code} has been delivered to ${connectionId}`);
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
  return `${status.connectionId}/${status.channelOrderCode}: ${status.state.replace('_', ' ')}${detail} (attempts ${status.attempts}, deliveries ${deliveries})`;
}

export async function runCli(argv: string[], context: CliContext): Promise<number> {
  try {
    await buildCli(context).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof Error ? error.message : String(error);
    const err = context.err ?? context.out;
    // A namespace that is not ready, or a connections file with mistakes, lists each problem one a line.
    const multiline = error instanceof NamespaceSetupError || error instanceof ConfigurationError;
    const lines = multiline ? message.split('\n') : message.split('\n').slice(0, 1);
    err(`error: ${lines[0] ?? ''}`);
    for (const line of lines.slice(1)) err(line);
    // 2: a usage or input problem (the command, its arguments, an order file, the configuration); 1: anything else.
    return error instanceof UsageError || error instanceof ConfigurationError || (error as Error).name === 'DomainValidationError' ? 2 : 1;
  }
}

if (require.main === module) {
  let client: Client | undefined;
  let bare: GrpcConnection | undefined;
  let ledger: ProblemLedger | undefined;
  const context: CliContext = {
    client: async () => {
      if (client) return client;
      // A missing payload key is a configuration problem of its own (exit 2); an unreachable Temporal says where it looked.
      const [settings, dataConverter] = [temporalSettingsFromEnv(), dataConverterFromEnv()];
      client = await connectClient(settings, dataConverter).catch((error: Error) => {
        throw new Error(`Cannot reach Temporal at ${settings.address} (TEMPORAL_ADDRESS): ${error.message}`);
      });
      return client;
    },
    temporal: async () => {
      const settings = temporalSettingsFromEnv();
      bare ??= await GrpcConnection.connect(connectionOptions(settings)).catch((error: Error) => {
        throw new Error(`Cannot reach Temporal at ${settings.address} (TEMPORAL_ADDRESS): ${error.message}`);
      });
      return { connection: bare, namespace: settings.namespace };
    },
    connections: () => loadConnections(),
    // The store the workers use: DATABASE_URL's Postgres, else the files under DATA_DIR.
    problems: () => {
      ledger ??= problemLedgerOf(productStoreFromEnv());
      if (!ledger) throw new Error('the product state store keeps no problem ledger');
      return ledger;
    },
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  void runCli(process.argv.slice(2), context).then(async (code) => {
    await client?.connection.close();
    await bare?.close();
    await closeDatabase();
    process.exit(code);
  });
}
