/**
 * The engine's configuration: the connections file (validated with zod), the secrets it names in
 * environment variables, Stock2Shop's endpoint and token, and the data folder.
 *
 *   CONNECTIONS_FILE  path of the connections file (default: config/connections.json when it
 *                     exists, else the demo's config/connections.demo.json)
 *   STOCK2SHOP_URL    Stock2Shop API base URL (each connection names its own token's variable)
 *   DATA_DIR          where the embedded default keeps its files (default: .data)
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConnectionSchema, DomainValidationError, type Connection } from '../domain';
import { firstProblem } from '../domain/validation';
import type { SourceSecrets } from '../connectors';

export const projectRoot = resolve(__dirname, '..');

const ConnectionsFileSchema = z.object({ connections: z.array(z.unknown()) });

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function connectionsFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONNECTIONS_FILE) return resolve(projectRoot, env.CONNECTIONS_FILE);
  const own = resolve(projectRoot, 'config/connections.json');
  return existsSync(own) ? own : resolve(projectRoot, 'config/connections.demo.json');
}

/** Reads and validates the connections file; one line names the file, the connection and the field at fault. */
export function loadConnections(path: string = connectionsFilePath()): Connection[] {
  if (!existsSync(path)) {
    throw new ConfigurationError(`No connections file at ${path}: copy config/connections.example.json there, or set CONNECTIONS_FILE`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigurationError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const file = ConnectionsFileSchema.safeParse(raw);
  if (!file.success) throw new ConfigurationError(`${path}: expected { "connections": [ ... ] }`);
  const connections = file.data.connections.map((entry, index) => {
    const parsed = ConnectionSchema.safeParse(entry);
    if (parsed.success) return parsed.data;
    const { field, reason } = firstProblem(parsed.error, entry);
    const id = (entry as { id?: unknown } | null)?.id;
    throw new ConfigurationError(`${path}: connection ${typeof id === 'string' ? id : `#${index + 1}`}: ${field}: ${reason}`);
  });
  const ids = new Set<string>();
  for (const connection of connections) {
    if (ids.has(connection.id)) throw new ConfigurationError(`${path}: connection id '${connection.id}' appears twice`);
    ids.add(connection.id);
  }
  return connections;
}

function requireEnv(env: NodeJS.ProcessEnv, connection: Connection, variable: string, what: string): string {
  const value = env[variable];
  if (value === undefined) {
    throw new DomainValidationError({
      recordType: 'Connection',
      record: connection.id,
      field: `credentialsRef (${what})`,
      reason: `environment variable ${variable} is not set`,
    });
  }
  return value;
}

/** The secrets of a connection, read from the environment variables it names. */
export function resolveSecrets(connection: Connection, env: NodeJS.ProcessEnv = process.env): SourceSecrets {
  if (connection.sourceKind === 'omni') {
    const ref = connection.credentialsRef;
    return {
      userName: requireEnv(env, connection, ref.omniUser, 'Omni user'),
      // Omni allows an empty password (the "Guest" login on record).
      password: env[ref.omniPassword] ?? '',
      companyName: requireEnv(env, connection, ref.companyName, 'company name'),
    };
  }
  const ref = connection.credentialsRef;
  return {
    userName: requireEnv(env, connection, ref.username, 'username or email'),
    password: requireEnv(env, connection, ref.password, 'password'),
  };
}

/** Stock2Shop's API base URL; the token is per connection (`stock2shop.credentialsRef.token`). */
export function stock2shopEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const endpoint = env.STOCK2SHOP_URL;
  if (!endpoint) throw new ConfigurationError('Set STOCK2SHOP_URL (Stock2Shop API base URL)');
  return endpoint;
}

/** The Stock2Shop API token of a connection, from the environment variable it names. */
export function stock2shopTokenOf(connection: Connection, env: NodeJS.ProcessEnv = process.env): string {
  return requireEnv(env, connection, connection.stock2shop.credentialsRef.token, 'Stock2Shop token');
}

/** The secret that signs Stock2Shop's webhook calls for this connection's source, when one is configured. */
export function webhookSecretOf(connection: Connection, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const variable = connection.stock2shop.credentialsRef.webhookSecret;
  const value = variable === undefined ? undefined : env[variable];
  return value === undefined || value === '' ? undefined : value;
}

/** Every secret value the connections name: what a log line or an error must never contain. */
export function secretValuesOf(connections: Connection[], env: NodeJS.ProcessEnv = process.env): string[] {
  const names = connections.flatMap((c) => [...Object.values(c.credentialsRef), ...Object.values(c.stock2shop.credentialsRef)]);
  const values = names.map((name) => (name === undefined ? undefined : env[name]));
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 4))];
}

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(projectRoot, env.DATA_DIR ?? '.data');
}
