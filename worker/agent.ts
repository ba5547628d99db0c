/**
 * The on-site agent of one Omni Accounts connection: `node --import tsx worker/agent.ts <connectionId>`.
 * Runs beside Omni, reaches it on the local network, and only dials out to Temporal and Stock2Shop.
 *
 * One agent per connection at a time (`store/agent-lease.ts`): it polls its task queue only while
 * it holds the connection's lease (in DATABASE_URL's database, else a lock file under DATA_DIR). A
 * second agent says who serves the connection and waits to take over; an agent that loses its
 * lease stops its worker and exits non-zero.
 */
import { Runtime } from '@temporalio/worker';
import { activityDepsFromConfig, connectWorker } from './runtime';
import { closeDatabase, databaseFromEnv } from '../store/from-env';
import { dataConverterFromEnv } from '../temporal/connect';
import { connectionKeyRingVariable } from '../temporal/data-converter';
import { acquireLease, agentLeaseFor, keepLease, leaseSecondsFromEnv } from '../store/agent-lease';
import { dataDir } from '../config/config';
import { temporalSettingsFromEnv } from '../temporal/settings';
import { createAgentWorker } from './workers';
import { agentPlacement, agentRefusal } from '../domain';
import { verifyKeyFromEnv } from '../temporal/agent-grant';
import { installRuntime, logRefusedPayload } from './observability';
import { installedTracing } from './tracing';
import { runUntilStopped } from './process';
import { shutdownGraceSecondsFromEnv } from './deployment';
import { sizingFromEnv, warnIfUntuned } from './sizing';

async function main(): Promise<void> {
  const connectionId = process.argv[2] ?? process.env.AGENT_CONNECTION_ID;
  if (!connectionId) throw new Error('usage: worker/agent.ts <connectionId> (or AGENT_CONNECTION_ID)');
  installRuntime(`agent ${connectionId}`);
  const logger = Runtime.instance().logger;
  const settings = temporalSettingsFromEnv();
  const dataConverter = dataConverterFromEnv(logRefusedPayload);
  if (process.env.PAYLOAD_CODEC_KEYS && process.env[connectionKeyRingVariable(connectionId)]) {
    logger.warn(
      `This agent holds the central key ring (PAYLOAD_CODEC_KEYS): it can decode every client's payloads. Give it ${connectionKeyRingVariable(connectionId)} only`,
    );
  }
  const deps = activityDepsFromConfig(undefined, { role: 'agent' });
  // A wrong connection id is said at once, not after waiting for a lease.
  const configured = deps.connections().find((c) => c.id === connectionId);
  if (!configured) throw new Error(`No connection '${connectionId}' in the configuration`);
  const refusal = agentRefusal(configured);
  if (refusal) throw new Error(refusal);

  const lease = agentLeaseFor(connectionId, {
    database: databaseFromEnv(process.env, { migrates: false }),
    dataDirectory: dataDir(),
    seconds: leaseSecondsFromEnv(),
  });
  const log = { info: (m: string) => logger.info(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) };
  // Asked to stop while waiting for the lease: stop waiting (once polling, the Runtime's own handler stops the worker).
  const stopWaiting = new AbortController();
  const onSignal = () => stopWaiting.abort();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, onSignal);
  const connection = await connectWorker(settings);
  try {
    if (!(await acquireLease(lease, log, stopWaiting.signal))) return;
    let worker: Awaited<ReturnType<typeof createAgentWorker>> | undefined;
    let legacy: typeof worker;
    const held = keepLease(lease, log, (reason) => {
      logger.error(reason);
      for (const running of [worker, legacy]) if (running?.getState() === 'RUNNING') running.shutdown();
    });
    try {
      const setup = {
        connection,
        namespace: settings.namespace,
        deps,
        dataConverter,
        shutdownGraceSeconds: shutdownGraceSecondsFromEnv(),
        sizing: sizingFromEnv(),
      };
      const verifyKey = verifyKeyFromEnv();
      worker = await createAgentWorker(setup, connectionId, verifyKey ? { verifyKey } : {});
      // Moving to a namespace per client: the old queue in the central namespace drains beside the new one.
      const legacyNamespace = process.env.AGENT_LEGACY_NAMESPACE;
      if (legacyNamespace && agentPlacement(configured)) {
        legacy = await createAgentWorker({ ...setup, namespace: legacyNamespace }, connectionId, { legacyQueue: true });
        logger.info(`connection ${connectionId}: also draining its old queue in namespace ${legacyNamespace} (AGENT_LEGACY_NAMESPACE)`);
      }
      warnIfUntuned(logger, { workflows: false });
      if (held.lost() === undefined) await Promise.all([worker.run(), legacy?.run()]);
    } finally {
      await held.stop();
      if (held.lost() === undefined)
        await lease.release().catch((error: Error) => logger.warn(`connection ${connectionId}: could not release the agent lease: ${error.message}`));
    }
    const lost = held.lost();
    if (lost !== undefined) throw new Error(lost);
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, onSignal);
    await connection.close();
    await closeDatabase();
    await installedTracing()?.shutdown(); // the spans still pending go out before the process ends
  }
}

runUntilStopped(`agent worker`, main);
