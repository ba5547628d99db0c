/** The central worker: `node --import tsx worker/central.ts`. Configuration from the environment (see README). */
import { Runtime } from '@temporalio/worker';
import { activityDepsFromConfig, connectClient, connectWorker } from './runtime';
import { temporalSettingsFromEnv } from './temporal-settings';
import { createCentralWorker } from './workers';
import { installRuntime } from './observability';

async function main(): Promise<void> {
  installRuntime('central');
  const settings = temporalSettingsFromEnv();
  const client = await connectClient(settings);
  const worker = await createCentralWorker({
    connection: await connectWorker(settings),
    namespace: settings.namespace,
    deps: activityDepsFromConfig(client),
  });
  await worker.run();
  await Runtime.instance().shutdown();
}

main().catch((error: Error) => {
  process.stderr.write(`central worker: ${error.message}\n`);
  process.exit(1);
});
