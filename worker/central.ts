/** The central worker: `node --import tsx worker/central.ts`. Configuration from the environment (see README). */
import { Runtime } from '@temporalio/worker';
import { activityDepsFromConfig, connectWorker } from './runtime';
import { connectClient, dataConverterFromEnv } from '../temporal/connect';
import { temporalSettingsFromEnv } from '../temporal/settings';
import { createEngineWorkers } from './workers';
import { sizingFromEnv, warnIfUntuned } from './sizing';
import { currentVersionOf, deploymentFromEnv, setCurrentVersion, shutdownGraceSecondsFromEnv, type DeploymentVersion } from './deployment';
import { installRuntime, logRefusedPayload } from './observability';
import { installedTracing } from './tracing';
import { runUntilStopped } from './process';

async function main(): Promise<void> {
  installRuntime('central');
  const settings = temporalSettingsFromEnv();
  const dataConverter = dataConverterFromEnv(logRefusedPayload);
  const client = await connectClient(settings, dataConverter);
  const setup = {
    connection: await connectWorker(settings),
    namespace: settings.namespace,
    deps: activityDepsFromConfig(client),
    dataConverter,
    deployment: deploymentFromEnv(),
    shutdownGraceSeconds: shutdownGraceSecondsFromEnv(),
    sizing: sizingFromEnv(),
  };
  const { central, isync, version } = await createEngineWorkers(setup);
  warnIfUntuned(Runtime.instance().logger, { workflows: true });
  const running = Promise.all([central.run(), isync.run()]);
  await announceVersion(version, client.connection, settings.namespace);
  await running;
  await installedTracing()?.shutdown(); // the spans still pending go out before the process ends
  await Runtime.instance().shutdown();
}

/** Says which version this worker is and whether it is current; with WORKER_PROMOTE_ON_START=true, makes it current. */
async function announceVersion(version: DeploymentVersion | undefined, connection: Parameters<typeof currentVersionOf>[0], namespace: string) {
  const logger = Runtime.instance().logger;
  if (!version) {
    logger.info('Worker Versioning is off (TEMPORAL_WORKER_VERSIONING=off): this worker takes every workflow task of its queue');
    return;
  }
  if (process.env.WORKER_PROMOTE_ON_START === 'true') {
    await setCurrentVersion(connection, namespace, version);
    logger.info(`Worker version ${version.deploymentName}/${version.buildId} is now current`, { ...version });
    return;
  }
  const current = await currentVersionOf(connection, namespace, version.deploymentName);
  if (current?.buildId === version.buildId) {
    logger.info(`Worker version ${version.deploymentName}/${version.buildId} is current`, { ...version });
    return;
  }
  logger.warn(
    `Worker version ${version.deploymentName}/${version.buildId} is not current (current: ${current?.buildId ?? 'none'}): ` +
      'it runs only the workflows pinned to it. Make it current with: temporal worker deployment set-current-version ' +
      `--deployment-name ${version.deploymentName} --build-id ${version.buildId}`,
    { ...version },
  );
}

runUntilStopped('central worker', main);
