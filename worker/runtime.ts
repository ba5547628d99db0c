/** Builds what a worker process needs from its configuration: activity dependencies and connections to Temporal. */
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { createStock2ShopClient, type Stock2ShopClient } from '../connectors';
import type { ActivityDeps } from '../activities';
import { FileProductStateStore } from '../activities/product-state-store';
import { connectionOptions, temporalSettingsFromEnv, type TemporalSettings } from './temporal-settings';
import { connectionsFilePath, dataDir, loadConnections, resolveSecrets, stock2shopEndpointFromEnv, stock2shopTokenOf } from './config';
import { engineDataConverter, keyRingFromEnvironment } from './data-converter';

export function activityDepsFromConfig(temporalClient?: Client): ActivityDeps {
  const file = connectionsFilePath();
  const endpoint = stock2shopEndpointFromEnv();
  // One client per token: each connection calls Stock2Shop with its own source's token.
  const stock2shopClients = new Map<string, Stock2ShopClient>();
  return {
    // Read on each use: a corrected connection applies to the next retry without a restart.
    connections: () => loadConnections(file),
    secretsOf: (connection) => resolveSecrets(connection),
    stock2shopFor: (connection) => {
      const token = stock2shopTokenOf(connection);
      let client = stock2shopClients.get(token);
      if (!client) stock2shopClients.set(token, (client = createStock2ShopClient({ endpoint, token })));
      return client;
    },
    productStore: new FileProductStateStore(join(dataDir(), 'product-state')),
    ...(temporalClient ? { temporalClient } : {}),
  };
}

/** The payload encryption of this process, from PAYLOAD_CODEC_KEYS (or the demo's key); refuses to go on without one. */
export function dataConverterFromEnv(): DataConverter {
  return engineDataConverter(keyRingFromEnvironment().ring);
}

export async function connectWorker(settings: TemporalSettings = temporalSettingsFromEnv()): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(settings));
}

export async function connectClient(
  settings: TemporalSettings = temporalSettingsFromEnv(),
  dataConverter: DataConverter = dataConverterFromEnv(),
): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(settings));
  return new Client({ connection, namespace: settings.namespace, dataConverter });
}
