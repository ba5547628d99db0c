/** The central worker: `node --import tsx worker/central.ts`. Configuration from the environment (see README). */
import { Runtime } from '@temporalio/worker';
import { activityDepsFromConfig, connectClient, connectWorker, dataConverterFromEnv } from './runtime';
import { temporalSettingsFromEnv } from './temporal-settings';
import { createCentralWorker } from './workers';
import { installRuntime } from './observability';
import { runUntilStopped } from './process';

async function main(): Promise<void> {
  installRuntime('central');
  const settings = temporalSettingsFromEnv();
  const dataConverter = dataConverterFromEnv();
  const client = await connectClient(settings, dataConverter);
  const worker = await createCentralWorker({
    connection: await connectWorker(settings),
    namespace: settings.namespace,
    deps: activityDepsFromConfig(client),
    dataConverter,
  });
  await worker.run();
  await Runtime.instance().shutdown();
}

runUntilStopped('central worker', main);
