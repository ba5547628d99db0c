/** Builds what a worker process needs from its configuration: its connections, activity dependencies and its connection to Temporal. */
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ActivityDeps } from '../activities';
import { agentPlacement, type Connection as EngineConnection } from '../domain';
import { GRANT_SIGNING_KEY_VARIABLE, signingKeyFromEnv } from '../temporal/agent-grant';
import type { KeyObject } from 'node:crypto';
import { connectionOptions, temporalSettingsFromEnv, type TemporalSettings } from '../temporal/settings';
import { productStoreFromEnv } from '../store/from-env';
import { ConfigurationError, connectionsFilePath, refuseShortWebhookSecrets, resolveSecrets, stock2shopEndpointFromEnv } from '../config/config';
import { sessionCoordinatorFromEnv, stock2shopClients } from './stock2shop-clients';
import { ConnectionRegistry } from '../config/connection-registry';
import { logLineWriter } from './observability';

/** One registry per connections file and process: the workers, the intake and the start script share it. */
const registries = new Map<string, ConnectionRegistry>();

/**
 * The connections of this process (`CONNECTIONS_FILE`): read once, each bad connection logged and
 * skipped, the file watched so a change applies without a restart. Throws when there is no readable file.
 */
export function connectionRegistryFromConfig(file: string = connectionsFilePath()): ConnectionRegistry {
  let registry = registries.get(file);
  if (!registry) registries.set(file, (registry = new ConnectionRegistry(file, { log: logLineWriter('connections') })));
  return registry;
}

/**
 * `role: 'agent'`: an Omni agent, which serves its own connection only (held to one at a time by its
 * lease), so the several-central-workers check does not apply to it, nor the webhook secrets' (it holds none).
 */
export function activityDepsFromConfig(temporalClient?: Client, { role = 'central' }: { role?: 'central' | 'agent' } = {}): ActivityDeps {
  const endpoint = stock2shopEndpointFromEnv();
  const registry = connectionRegistryFromConfig();
  if (role === 'central') {
    refuseUnsharedProductState(registry.connections());
    // The central side's start, `npm start`'s intake included (it starts after this).
    refuseShortWebhookSecrets(registry.connections());
  }
  return {
    // The file is read once and watched: a corrected connection applies to the next retry without a restart.
    connections: () => registry.connections(),
    connectionProblem: (connectionId) => registry.problemOf(connectionId)?.message,
    secretsOf: (connection) => resolveSecrets(connection),
    stock2shopFor: stock2shopClients({
      endpoint,
      role,
      centralWorkers: role === 'central' ? centralWorkersFromEnv() : 1,
      connections: () => registry.connections(),
      coordinator: sessionCoordinatorFromEnv(role),
    }),
    productStore: productStoreFromEnv(process.env, { migrates: role === 'central' }),
    // The central workers share each cloud source's request limits: each applies its part.
    ...(role === 'central' ? { centralWorkers: centralWorkersFromEnv(), ...grantKeyFor(registry.connections()) } : {}),
    ...(temporalClient ? { temporalClient } : {}),
  };
}

/** The central side's grant key; refused at start when a confined connection needs it and it is missing. */
function grantKeyFor(connections: EngineConnection[]): { grantSigningKey?: KeyObject } {
  const grantSigningKey = signingKeyFromEnv();
  const confined = connections.filter((connection) => agentPlacement(connection) !== undefined).map((connection) => connection.id);
  if (!grantSigningKey && confined.length > 0) {
    throw new ConfigurationError(
      `${GRANT_SIGNING_KEY_VARIABLE} is not set, and the agents of ${confined.join(', ')} are confined: they take only requests it signs (npm run cli -- keys generate --grants)`,
    );
  }
  return grantSigningKey ? { grantSigningKey } : {};
}

export async function connectWorker(settings: TemporalSettings = temporalSettingsFromEnv()): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(settings));
}

/**
 * CENTRAL_WORKERS: how many central worker processes this deployment runs (default 1). It is the
 * operator's statement of the setup, not a discovery: the worker cannot see the others.
 */
export function centralWorkersFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.CENTRAL_WORKERS;
  if (text === undefined || text === '') return 1;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new ConfigurationError(`CENTRAL_WORKERS is '${text}': use a whole number, 1 or more`);
  return value;
}

/**
 * Several central workers without DATABASE_URL each keep their own product state files, and a
 * pass's pages land on any of them: the reconcile step would take the products the other workers
 * saw for gone, and with `removedProducts: deactivate` push them inactive, off the web stores. Such
 * a worker refuses to start, naming the connections at risk: those whose product pages the central
 * workers run (every source but Omni, whose pages run on its agent).
 */
export function refuseUnsharedProductState(connections: EngineConnection[], env: NodeJS.ProcessEnv = process.env): void {
  const workers = centralWorkersFromEnv(env);
  if (workers <= 1 || env.DATABASE_URL) return;
  const atRisk = connections.filter((c) => c.sourceKind !== 'omni' && c.removedProducts === 'deactivate').map((c) => c.id);
  if (atRisk.length === 0) return;
  throw new ConfigurationError(
    `CENTRAL_WORKERS=${workers} without DATABASE_URL: the connections ${atRisk.join(', ')} deactivate removed products, ` +
      'and each worker would keep its own product state (products another worker saw would be taken off the web stores); ' +
      'set DATABASE_URL to a shared Postgres, or run one central worker',
  );
}
