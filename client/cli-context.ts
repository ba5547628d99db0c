/** What every command of the command line works with: its context, and the errors it gives the user. */
import type { Connection as GrpcConnection, Client } from '@temporalio/client';
import type { Connection } from '../domain';
import type { ProblemLedger } from '../store/product-state';

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

/** The configured connection by that id; else a UsageError naming those there are. */
export function findConnection(context: CliContext, connectionId: string): Connection {
  const all = context.connections();
  const connection = all.find((c) => c.id === connectionId);
  if (!connection) throw new UsageError(`Unknown connection '${connectionId}'. Configured: ${all.map((c) => c.id).join(', ') || 'none'}`);
  return connection;
}

/** The problem ledger the workers write; a command that needs it fails without one. */
export function problemLedger(context: CliContext): ProblemLedger {
  const ledger = context.problems?.();
  if (!ledger) throw new Error('no problem ledger: the product state store is not available to this command');
  return ledger;
}
