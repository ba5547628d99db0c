/**
 * The on-site agent of one Omni Accounts connection: `node --import tsx worker/agent.ts <connectionId>`.
 * Runs beside Omni, reaches it on the local network, and only dials out to Temporal and Stock2Shop.
 */
import { activityDepsFromConfig, connectWorker, dataConverterFromEnv } from './runtime';
import { temporalSettingsFromEnv } from './temporal-settings';
import { createAgentWorker } from './workers';
import { installRuntime } from './observability';
import { runUntilStopped } from './process';
import { shutdownGraceSecondsFromEnv } from './deployment';
import { sizingFromEnv } from './sizing';

async function main(): Promise<void> {
  const connectionId = process.argv[2] ?? process.env.AGENT_CONNECTION_ID;
  if (!connectionId) throw new Error('usage: worker/agent.ts <connectionId> (or AGENT_CONNECTION_ID)');
  installRuntime(`agent ${connectionId}`);
  const settings = temporalSettingsFromEnv();
  const dataConverter = dataConverterFromEnv();
  const worker = await createAgentWorker(
    {
      connection: await connectWorker(settings),
      namespace: settings.namespace,
      deps: activityDepsFromConfig(),
      dataConverter,
      shutdownGraceSeconds: shutdownGraceSecondsFromEnv(),
      sizing: sizingFromEnv(),
    },
    connectionId,
  );
  await worker.run();
}

runUntilStopped(`agent worker`, main);
