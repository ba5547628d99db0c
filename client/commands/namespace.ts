/** `setup`, `connections`, `schedules`, `customers` and `keys`: the namespace, the configuration and its schedules. */
import { Command } from 'commander';
import { Connection as GrpcConnection } from '@temporalio/client';
import { CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE } from '../../domain';
import { projectSearchAttributes } from '../../contracts/search-attributes';
import { generateKeyRingText } from '../../temporal/payload-codec';
import { connectionKeyRingVariable } from '../../temporal/data-converter';
import { generateGrantKeys, GRANT_SIGNING_KEY_VARIABLE, GRANT_VERIFY_KEY_VARIABLE } from '../../temporal/agent-grant';
import { describeSetupReport, NamespaceSetupError, parseRetentionDays, setupNamespace, SetupOptionsError } from '../namespace-setup';
import { applyConnectionSchedules, pruneSchedules } from '../schedules';
import { connectionsFileError } from '../../config/config';
import { findConnection, UsageError, type CliContext } from '../cli-context';
import { registerConnectionsCheck } from './connections-check';

export function registerSetup(program: Command, context: CliContext): void {
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
}

export function registerConnections(program: Command, context: CliContext): void {
  const connections = program
    .command('connections')
    .summary('list the configured connections; `connections check <connectionId>`: live checks of one')
    .description('list the configured connections (a connections file with mistakes: every one, on stderr)')
    .action(() => {
      // The check of the file: all or nothing, every mistake named (the other commands serve the good connections).
      const file = context.connectionsFile?.();
      if (file && file.problems.length > 0) throw connectionsFileError(file.path, file.problems);
      for (const c of context.connections()) {
        context.out(`${c.id}\t${c.sourceKind}\tevery ${c.syncIntervalMinutes} min\t${c.endpoint}\t${c.name}`);
      }
    });
  registerConnectionsCheck(connections, context);
}

export function registerSchedules(program: Command, context: CliContext): void {
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
      const bad = context.connectionsFile?.().problems.length ?? 0;
      // A bad connection is still configured: its schedules stay until the file is fixed.
      if (bad > 0) return context.out(`not removing the schedules of connections no longer configured: ${bad} connection(s) of the file have mistakes`);
      for (const { scheduleId, connectionId } of await pruneSchedules(client, connections)) {
        context.out(`${scheduleId}: removed (connection ${connectionId} is no longer configured)`);
      }
    });
}

/** Customer sync is not supported by either source: the command says so, whatever is asked. */
export function registerCustomers(program: Command): void {
  program
    .command('customers')
    .description('customer sync (not supported by iSync or Omni Accounts)')
    .argument('[action]', 'sync')
    .action(() => {
      throw new UsageError(CUSTOMER_SYNC_NOT_SUPPORTED_MESSAGE);
    });
}

export function registerKeys(program: Command, context: CliContext): void {
  program
    .command('keys')
    .description('payload encryption keys')
    .command('generate [id]')
    .description(
      'print a fresh key entry for PAYLOAD_CODEC_KEYS (put it first to rotate; keep the old entries after it); with --connection, ' +
        "the ring of one connection's own, as the variable the central side and that connection's agent set",
    )
    .option('-c, --connection <connectionId>', "a connection's own ring (PAYLOAD_CODEC_KEYS_<CONNECTION_ID>)")
    .option(
      '--grants',
      `the key pair of confined agents' grants: ${GRANT_SIGNING_KEY_VARIABLE} for the central workers only, ${GRANT_VERIFY_KEY_VARIABLE} for the agents`,
    )
    .action((id: string | undefined, options: { connection?: string; grants?: boolean }) => {
      if (options.grants) {
        const pair = generateGrantKeys();
        context.out(`${GRANT_SIGNING_KEY_VARIABLE}=${pair.signingKey}`);
        return context.out(`${GRANT_VERIFY_KEY_VARIABLE}=${pair.verifyKey}`);
      }
      const date = new Date().toISOString().slice(0, 10).replaceAll('-', '');
      if (options.connection === undefined) return context.out(generateKeyRingText(id ?? `key-${date}`));
      const connection = findConnection(context, options.connection);
      context.out(`${connectionKeyRingVariable(connection.id)}=${generateKeyRingText(id ?? `${connection.id}-${date}`)}`);
    });
}
