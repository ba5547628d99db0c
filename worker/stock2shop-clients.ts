/**
 * The Stock2Shop clients of one process: one session per API user (its token shared by every
 * connection of that user, and with the other central workers through the shared database), one
 * gate per account (this process's share of the account's rate limit), one client per connection's
 * user, account and order contract.
 */
import { createHash } from 'node:crypto';
import { createStock2ShopClient, MemorySessionCoordinator, Stock2ShopSession, type SessionCoordinator, type Stock2ShopClient } from '../connectors';
import { stock2shopAccountOf, type Connection } from '../domain';
import { stock2shopGates } from '../activities/stock2shop-gate';
import { stock2shopLoginOf } from '../config/config';
import { databaseFromEnv } from '../store/from-env';
import { PostgresSessionCoordinator } from '../store/stock2shop-sessions';
import { keyRingsFromEnvironment } from '../temporal/data-converter';
import { EncryptionCodec } from '../temporal/payload-codec';

/** Every session of this process shares its logins in memory (`npm start`'s workers are one process). */
const inProcess = new MemorySessionCoordinator();

/** Central workers with the shared database share their tokens through it; an agent logs in as its own user. */
export function sessionCoordinatorFromEnv(role: 'central' | 'agent', env: NodeJS.ProcessEnv = process.env): SessionCoordinator {
  const database = role === 'central' ? databaseFromEnv(env) : undefined;
  return database ? new PostgresSessionCoordinator(database.pool, new EncryptionCodec(keyRingsFromEnvironment(env)), database.ready) : inProcess;
}

export interface Stock2ShopClientsOptions {
  endpoint: string;
  role: 'central' | 'agent';
  centralWorkers: number;
  connections: () => readonly Connection[];
  coordinator: SessionCoordinator;
  onLogin?: (username: string) => void;
  /** Where the connections' credential variables are read; default this process's environment. */
  env?: NodeJS.ProcessEnv;
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

export function stock2shopClients(options: Stock2ShopClientsOptions): (connection: Connection) => Stock2ShopClient {
  const sessions = new Map<string, Stock2ShopSession>();
  const clients = new Map<string, Stock2ShopClient>();
  const gateOf = stock2shopGates(options.role, options.centralWorkers, options.connections);
  return (connection) => {
    const login = stock2shopLoginOf(connection, options.env);
    const loginKey = digest(login.kind === 'user' ? `user\n${login.username}\n${login.password}` : `token\n${login.token}`);
    let session = sessions.get(loginKey);
    if (!session) {
      session = new Stock2ShopSession({
        endpoint: options.endpoint,
        login,
        coordinator: options.coordinator,
        ...(options.onLogin ? { onLogin: options.onLogin } : {}),
      });
      sessions.set(loginKey, session);
    }
    const { orderContract, requestsPerSecond } = connection.stock2shop;
    const key = `${loginKey}\n${stock2shopAccountOf(connection)}\n${requestsPerSecond}\n${JSON.stringify(orderContract ?? null)}`;
    let client = clients.get(key);
    if (!client) {
      client = createStock2ShopClient({ endpoint: options.endpoint, session, gate: gateOf(connection), ...(orderContract ? { orderContract } : {}) });
      clients.set(key, client);
    }
    return client;
  };
}
