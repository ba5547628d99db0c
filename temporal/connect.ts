/** A client of this process's Temporal namespace, with the engine's data converter: the CLI, the intake, the start script and the workers all connect here. */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { connectionOptions, temporalSettingsFromEnv, type TemporalSettings } from './settings';
import { engineDataConverter, keyRingsFromEnvironment } from './data-converter';
import type { RefusalReport } from './payload-codec';

/** The payload encryption of this process, from PAYLOAD_CODEC_KEYS[_<CONNECTION_ID>] (or the demo's key); refuses to go on without one. */
export function dataConverterFromEnv(report?: RefusalReport): DataConverter {
  return engineDataConverter(keyRingsFromEnvironment(), report);
}

export async function connectClient(
  settings: TemporalSettings = temporalSettingsFromEnv(),
  dataConverter: DataConverter = dataConverterFromEnv(),
): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(settings));
  return new Client({ connection, namespace: settings.namespace, dataConverter });
}
