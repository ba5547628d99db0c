/**
 * Bench only: the Omni agent workers of many connections in ONE process, so a benchmark with a
 * hundred Omni connections does not need a hundred node processes on a small machine.
 *
 *   node --import tsx bench/agents.ts [--slots 4] [connectionId …]
 *
 * With no ids, every Omni connection of CONNECTIONS_FILE. Each connection gets its own worker
 * (`createAgentWorker`, task queue `omni/<connectionId>`), all sharing one connection to Temporal and
 * one set of activity dependencies. `--slots` sets the agents' activity slots (AGENT_ACTIVITY_SLOTS);
 * the SDK polls with min(10, slots) pollers per worker, so fewer slots also means fewer long polls
 * (worker/workers.ts does not expose the poller count itself).
 *
 * Unlike worker/agent.ts it takes no agent lease (store/agent-lease.ts): the bench starts exactly one
 * agent per connection, so nothing competes for a connection's task queue.
 *
 * Configuration is the agents' usual environment (TEMPORAL_ADDRESS, CONNECTIONS_FILE, DATA_DIR,
 * STOCK2SHOP_URL, PAYLOAD_CODEC_KEYS, the connections' secret variables). Prints `agents ready: <n>`
 * once every worker runs; SIGINT / SIGTERM stop them all (the SDK's runtime handles the signals).
 */
import { parseArgs } from 'node:util';
import { Runtime, type Worker } from '@temporalio/worker';
import { activityDepsFromConfig, connectWorker } from '../worker/runtime';
import { closeDatabase } from '../store/from-env';
import { dataConverterFromEnv } from '../temporal/connect';
import { temporalSettingsFromEnv } from '../temporal/settings';
import { createAgentWorker } from '../worker/workers';
import { installRuntime } from '../worker/observability';
import { runUntilStopped } from '../worker/process';
import { shutdownGraceSecondsFromEnv } from '../worker/deployment';
import { sizingFromEnv } from '../worker/sizing';
import { loadConnections } from '../config/config';
import { verifyKeyFromEnv } from '../temporal/agent-grant';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { slots: { type: 'string' } }, allowPositionals: true });
  const ids = positionals.length > 0 ? positionals : loadConnections().filter((c) => c.sourceKind === 'omni').map((c) => c.id);
  if (ids.length === 0) throw new Error('no Omni connections to run agents for');
  installRuntime(`agents (${ids.length})`);
  const settings = temporalSettingsFromEnv();
  const sizing = sizingFromEnv();
  if (values.slots !== undefined) {
    const slots = Number(values.slots);
    if (!Number.isInteger(slots) || slots < 1) throw new Error(`--slots ${values.slots}: use a whole number, 1 or more`);
    sizing.agentActivitySlots = slots;
  }
  const setup = {
    connection: await connectWorker(settings),
    namespace: settings.namespace,
    deps: activityDepsFromConfig(undefined, { role: 'agent' }),
    dataConverter: dataConverterFromEnv(),
    shutdownGraceSeconds: shutdownGraceSecondsFromEnv(),
    sizing,
  };
  const workers: Worker[] = [];
  const verifyKey = verifyKeyFromEnv();
  for (const id of ids) workers.push(await createAgentWorker(setup, id, verifyKey ? { verifyKey } : {}));
  const running = workers.map((worker) => worker.run());
  process.stdout.write(`agents ready: ${workers.length} (activity slots ${sizing.agentActivitySlots} each)\n`);
  const results = await Promise.allSettled(running);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  await setup.connection.close().catch(() => undefined);
  await closeDatabase().catch(() => undefined);
  await Runtime.instance().shutdown();
  if (failed) throw failed.reason as Error;
}

runUntilStopped('bench agents', main);
