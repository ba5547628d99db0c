/** What every command of the command line works with: its context, and the errors it gives the user. */
import type { Connection as GrpcConnection, Client } from '@temporalio/client';
import type { Connection } from '../domain';
import type { ConnectionsReading } from '../config/config';
import type { SessionCoordinator } from '../connectors';
import type { ConnectionCheckFiles } from '../store/connection-checks';
import type { ProblemLedger } from '../store/product-state';

export interface CliContext {
  client: () => Promise<Client>;
  /** The connections in use: the good ones of the file (a bad one is skipped, as the workers skip it, and warned about). */
  connections: () => Connection[];
  /** The connections file as read, its bad entries too: for `connections` (all or nothing) and a command naming a bad one. */
  connectionsFile?: () => ConnectionsReading & { path: string };
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
  /** Where `connections check` keeps each connection's last check (for `status`); none: not kept. */
  connectionChecks?: () => ConnectionCheckFiles;
  /** The Stock2Shop sessions `connections check` logs in with: the central workers' shared one (the shared database), or its own. */
  stock2shopSessions?: () => { coordinator: SessionCoordinator; shared: boolean };
}

/** A mistake of the user's: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The configured connection by that id; else a UsageError naming those there are. */
export function findConnection(context: CliContext, connectionId: string): Connection {
  const all = context.connections();
  const connection = all.find((c) => c.id === connectionId);
  if (connection) return connection;
  const file = context.connectionsFile?.();
  const problem = file?.problems.find((p) => p.connection === connectionId);
  if (file && problem) {
    const mistakes = problem.message.replace(`Connection ${problem.connection}: `, '');
    throw new UsageError(`Connection ${connectionId} cannot be used: ${mistakes} (fix it in ${file.path})`);
  }
  throw new UsageError(`Unknown connection '${connectionId}'. Configured: ${all.map((c) => c.id).join(', ') || 'none'}`);
}

/** The problem ledger the workers write; a command that needs it fails without one. */
export function problemLedger(context: CliContext): ProblemLedger {
  const ledger = context.problems?.();
  if (!ledger) throw new Error('no problem ledger: the product state store is not available to this command');
  return ledger;
}
