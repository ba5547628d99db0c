/**
 * The engineer's command line: `npm run cli -- <command>` (or `node --import tsx client/cli.ts`).
 * Temporal's address and the connections file come from the environment (see README).
 */
import { Command, CommanderError } from 'commander';
import { Client, Connection as GrpcConnection } from '@temporalio/client';
import { join } from 'node:path';
import { ConfigurationError, connectionsFilePath, dataDir, readConnectionsFile } from '../config/config';
import { ConnectionCheckFiles } from '../store/connection-checks';
import { sessionCoordinatorFromEnv } from '../worker/stock2shop-clients';
import { problemLedgerOf, type ProblemLedger } from '../store/product-state';
import { closeDatabase, databaseFromEnv, productStoreFromEnv } from '../store/from-env';
import { dataConverterFromEnv } from '../temporal/connect';
import { connectionOptions, temporalSettingsFromEnv } from '../temporal/settings';
import { NamespaceSetupError } from './namespace-setup';
import { UsageError, type CliContext } from './cli-context';
import { cliInterceptors, errorText } from './cli-failures';
import { registerClients } from './commands/clients';
import { registerConnections, registerCustomers, registerKeys, registerSchedules, registerSetup } from './commands/namespace';
import { registerSync } from './commands/sync';
import { registerOrders } from './commands/orders';
import { registerProblems, registerStatus } from './commands/status';
import { registerPatchCommands } from './commands/patches';
import { registerDatabase } from './commands/db';
import { acceptConnectionOption } from './commands/connection-argument';

export function buildCli(context: CliContext): Command {
  const program = new Command('s2s')
    .description('Stock2Shop integration engine: product syncs and order raises on Temporal')
    .exitOverride()
    .configureOutput({ writeOut: (s) => context.out(s.trimEnd()), writeErr: (s) => (context.err ?? context.out)(s.trimEnd()) });
  registerSetup(program, context);
  registerConnections(program, context);
  registerSync(program, context);
  registerSchedules(program, context);
  registerOrders(program, context);
  registerStatus(program, context);
  registerProblems(program, context);
  registerCustomers(program);
  registerKeys(program, context);
  registerClients(program, context);
  registerPatchCommands(program, context);
  registerDatabase(program, context);
  acceptConnectionOption(program);
  return program;
}

export async function runCli(argv: string[], context: CliContext): Promise<number> {
  try {
    await buildCli(context).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = errorText(error);
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
  let file: ReturnType<NonNullable<CliContext['connectionsFile']>> | undefined;
  let warned = false;
  const context: CliContext = {
    client: async () => {
      if (client) return client;
      // A missing payload key is a configuration problem of its own (exit 2); an unreachable Temporal says where it looked.
      const [settings, dataConverter] = [temporalSettingsFromEnv(), dataConverterFromEnv()];
      const connection = await GrpcConnection.connect({ ...connectionOptions(settings), interceptors: cliInterceptors(dataConverter) }).catch(
        (error: Error) => {
          throw new Error(`Cannot reach Temporal at ${settings.address} (TEMPORAL_ADDRESS): ${error.message}`);
        },
      );
      client = new Client({ connection, namespace: settings.namespace, dataConverter });
      return client;
    },
    temporal: async () => {
      const settings = temporalSettingsFromEnv();
      bare ??= await GrpcConnection.connect(connectionOptions(settings)).catch((error: Error) => {
        throw new Error(`Cannot reach Temporal at ${settings.address} (TEMPORAL_ADDRESS): ${error.message}`);
      });
      return { connection: bare, namespace: settings.namespace };
    },
    connectionsFile: () => {
      const path = connectionsFilePath();
      file ??= { path, ...readConnectionsFile(path) };
      return file;
    },
    // As the workers do: a bad connection is skipped, in one line on stderr, and the others are served.
    connections: () => {
      const { path, connections, problems } = context.connectionsFile!();
      if (!warned) for (const problem of problems) process.stderr.write(`warning: ${path}: ${problem.message} (skipped; the others are served)\n`);
      warned = true;
      return connections;
    },
    connectionChecks: () => new ConnectionCheckFiles(join(dataDir(), 'connection-checks')),
    // With the shared database, the central workers' Stock2Shop tokens: a check then ends none of them.
    stock2shopSessions: () => ({ coordinator: sessionCoordinatorFromEnv('central'), shared: databaseFromEnv() !== undefined }),
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
