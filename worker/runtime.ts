/** Builds what a worker process needs from its configuration: activity dependencies and connections to Temporal. */
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createStock2ShopClient, type Stock2ShopClient } from '../connectors';
import type { ActivityDeps } from '../activities';
import { FileProductStateStore } from '../activities/product-state-store';
import { connectionOptions, temporalSettingsFromEnv, type TemporalSettings } from './temporal-settings';
import { connectionsFilePath, dataDir, loadConnections, resolveSecrets, stock2shopSettingsFromEnv } from './config';

export function activityDepsFromConfig(temporalClient?: Client): ActivityDeps {
  const file = connectionsFilePath();
  const stock2shopSettings = stock2shopSettingsFromEnv();
  let stock2shop: Stock2ShopClient | undefined;
  return {
    // Read on each use: a corrected connection applies to the next retry without a restart.
    connections: () => loadConnections(file),
    secretsOf: (connection) => resolveSecrets(connection),
    stock2shopFor: () => (stock2shop ??= createStock2ShopClient(stock2shopSettings)),
    productStore: new FileProductStateStore(join(dataDir(), 'product-state')),
    ...(temporalClient ? { temporalClient } : {}),
  };
}

export async function connectWorker(settings: TemporalSettings = temporalSettingsFromEnv()): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(settings));
}

export async function connectClient(settings: TemporalSettings = temporalSettingsFromEnv()): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(settings));
  return new Client({ connection, namespace: settings.namespace });
}
