/**
 * `npm start`: the whole stack on one machine, the embedded default.
 *   Temporal dev server (SQLite under .data/, Web UI on :8233) → simulators of Omni Accounts, iSync
 *   and Stock2Shop → the central worker and the Omni agent worker → the connections' schedules →
 *   the order intake (webhook). Ctrl-C stops it all; running it again resumes where it was.
 *
 * Ports: TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233), OMNI_PORT (8080), ISYNC_PORT (8081),
 * STOCK2SHOP_PORT (8082), INTAKE_PORT (8090), CODEC_PORT (8091). DEMO_ITEMS sets the size of the demo catalogs.
 * The connections file follows the one rule of `chooseConnectionsFile` (config/config.ts); when it is
 * the demo's, the demo connections are written to <DATA_DIR>/connections.demo.json with the URLs of
 * the simulators this run started, so a stack on other ports syncs from its own simulators.
 * The simulators keep their documents under DATA_DIR (stock2shop/, omni/, isync/): a restart resumes.
 * Payloads are encrypted: with no PAYLOAD_CODEC_KEYS, a demo key is generated under the data folder,
 * and the codec server (loopback mode, no token: see client/codec-auth.ts) lets this machine's Web UI decode them.
 * The namespace keeps history TEMPORAL_RETENTION_DAYS (30); the central worker is a Worker Versioning
 * version that makes itself current (docs/versioning.md).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { startISyncSimulator, startOmniSimulator, startStock2ShopSimulator } from '../simulators';
import { chooseConnectionsFile, dataDir, webhookSecretOf, writeDemoConnections } from '../config/config';
import { activityDepsFromConfig, connectionRegistryFromConfig, connectWorker } from '../worker/runtime';
import { connectClient } from '../temporal/connect';
import { demoSecret, engineDataConverter, ensureDemoKeyRing, keyRingsFromEnvironment } from '../temporal/data-converter';
import { EncryptionCodec } from '../temporal/payload-codec';
import { startCodecServer } from '../client/codec-server';
import { codecAuthFromEnv, describeCodecAuth } from '../client/codec-auth';
import { createAgentWorker, createEngineWorkers } from '../worker/workers';
import { sizingFromEnv } from '../worker/sizing';
import { deploymentFromEnv, endRunsPinnedToOtherVersions, setCurrentVersion, shutdownGraceSecondsFromEnv } from '../worker/deployment';
import { installRuntime, logLineWriter, logRefusedPayload } from '../worker/observability';
import { installedTracing } from '../worker/tracing';
import { applyConnectionSchedules } from '../client/schedules';
import { intakeLogTo, orderWebhookUrl, startIntakeServer } from '../client/intake';
import { databaseFromEnv } from '../store/from-env';
import { PostgresWebhookNonces } from '../store/webhook-nonces';
import { agentPlacement, productSyncScheduleId } from '../domain';
import { generateGrantKeys, GRANT_SIGNING_KEY_VARIABLE, GRANT_VERIFY_KEY_VARIABLE, verifyKeyFromEnv } from '../temporal/agent-grant';
import { describeClientNamespace, setupClientNamespaceAt } from '../client/client-namespaces';
import { startDevServerProcess } from './dev-server';
import { describeRetention, parseRetentionDays, setupNamespaceAt } from '../client/namespace-setup';

const env = process.env;
const port = (name: string, fallback: number) => Number(env[name] ?? fallback);

/** The demo's secrets: the simulators accept these; a real deployment sets its own variables. */
const DEMO_SECRETS: Record<string, string> = {
  DEMO_OMNI_DATABASE: 'OMNIDEMO',
  DEMO_OMNI_COMPANY: 'Demo Hardware (PTY) LTD',
  DEMO_OMNI_DB_USER: 'readonly',
  DEMO_OMNI_DB_PASSWORD: 'readonly-demo',
  DEMO_OMNI_USER: 'Guest',
  DEMO_OMNI_PASSWORD: 'omni-demo',
  DEMO_ISYNC_USER: 'demo@stock2shop.example',
  DEMO_ISYNC_PASSWORD: 'isync-demo',
  // One Stock2Shop API user: the demo's workers and agent are one process, sharing its token.
  DEMO_S2S_USER: 'demo-engine',
  DEMO_S2S_PASSWORD: 'demo-s2s-password',
};

/** Each demo source signs its webhooks with a random secret of its own, kept under the data folder (owner-only). */
const DEMO_WEBHOOK_SECRETS = { 101: 'DEMO_OMNI_S2S_WEBHOOK_SECRET', 202: 'DEMO_ISYNC_S2S_WEBHOOK_SECRET' } as const;

async function main(): Promise<void> {
  for (const [name, value] of Object.entries(DEMO_SECRETS)) env[name] ??= value;
  for (const name of Object.values(DEMO_WEBHOOK_SECRETS)) {
    env[name] ??= demoSecret(join(dataDir(), 'webhooks', name.toLowerCase()), () => randomBytes(32).toString('base64url')).value;
  }
  // The one rule (CONNECTIONS_FILE, else config/connections.json, else the demo's), as the CLI applies it.
  const connectionsChoice = chooseConnectionsFile(env);
  const data = dataDir();
  installRuntime('stack');
  // Stopped last: the spans of everything stopped before it go out.
  const stops: (() => Promise<unknown>)[] = [async () => installedTracing()?.shutdown()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const keys = ensureDemoKeyRing();
    if (keys.created) say(`generated a demo payload key in ${keys.file} (set PAYLOAD_CODEC_KEYS in production)`);
    say(`payloads encrypted with key '${keys.ring.currentId}' (${keys.origin})`);
    const rings = keyRingsFromEnvironment();
    const dataConverter = engineDataConverter(rings, logRefusedPayload);
    const uiPort = port('TEMPORAL_UI_PORT', 8233);
    const [codecLog, intakeLog] = [logLineWriter('codec-server'), logLineWriter('intake')];
    // Loopback mode unless CODEC_SERVER_TOKEN or CODEC_OIDC_* say otherwise; either way on loopback only.
    const codecAuth = codecAuthFromEnv(env);
    const codec = await startCodecServer({
      codec: new EncryptionCodec(rings, (sentence) => codecLog({ level: 'warn', message: sentence })),
      auth: codecAuth,
      port: port('CODEC_PORT', 8091),
      host: '127.0.0.1',
      allowedOrigins: [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`],
      log: (line) => codecLog({ level: 'warn', message: 'codec request refused', ...line }),
    });
    stops.push(() => codec.close());

    const temporal = await startDevServerProcess({
      dbFile: join(data, 'temporal', 'temporal.sqlite'),
      logFile: join(data, 'temporal', 'server.log'),
      port: port('TEMPORAL_PORT', 7233),
      uiPort,
      uiCodecEndpoint: codec.uiEndpoint,
    });
    stops.push(() => temporal.stop());
    env.TEMPORAL_ADDRESS = temporal.address;
    // The namespace as `npm run cli -- setup` leaves any other: the search attributes, and a retention
    // (TEMPORAL_RETENTION_DAYS, default 30) covering the longest redelivery window of an order.
    const setup = await setupNamespaceAt(temporal.address, {
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      retentionDays: parseRetentionDays(env.TEMPORAL_RETENTION_DAYS, 'TEMPORAL_RETENTION_DAYS'),
    });
    say(`namespace ${setup.namespace}: ${describeRetention(setup)}, search attributes ${setup.searchAttributes.map((a) => a.name).join(', ')}`);

    const items = Number(env.DEMO_ITEMS ?? 2000);
    const intakePort = port('INTAKE_PORT', 8090);
    const omni = await startOmniSimulator({
      port: port('OMNI_PORT', 8080),
      items,
      userName: env.DEMO_OMNI_USER!,
      password: env.DEMO_OMNI_PASSWORD!,
      companyName: env.DEMO_OMNI_COMPANY!,
      dataDir: join(data, 'omni'),
    });
    stops.push(() => omni.close());
    const isync = await startISyncSimulator({
      port: port('ISYNC_PORT', 8081),
      items: Math.ceil(items / 2),
      userName: env.DEMO_ISYNC_USER!,
      password: env.DEMO_ISYNC_PASSWORD!,
      dataDir: join(data, 'isync'),
    });
    stops.push(() => isync.close());
    const stock2shop = await startStock2ShopSimulator({
      port: port('STOCK2SHOP_PORT', 8082),
      users: [{ username: env.DEMO_S2S_USER!, password: env.DEMO_S2S_PASSWORD!, account: 'demo' }],
      // As Stock2Shop does: about 3 requests a second per account, 429 beyond.
      rateLimitPerSecond: 3,
      webhookSecrets: Object.fromEntries(Object.entries(DEMO_WEBHOOK_SECRETS).map(([sourceId, name]) => [sourceId, env[name]!])),
      dataDir: join(data, 'stock2shop'),
      webhookUrl: orderWebhookUrl(`http://127.0.0.1:${intakePort}`, '{source_id}'),
    });
    stops.push(() => stock2shop.close());
    env.STOCK2SHOP_URL ??= stock2shop.apiUrl;
    // The demo's connections call the simulators started above, on whatever ports they listen.
    env.CONNECTIONS_FILE = connectionsChoice.origin === 'demo' ? writeDemoConnections({ omni: omni.url, isync: isync.url }, env) : connectionsChoice.path;
    say(
      `connections: ${env.CONNECTIONS_FILE} (${
        connectionsChoice.origin === 'demo'
          ? 'the demo connections, pointing at the simulators above'
          : connectionsChoice.origin === 'own'
            ? 'config/connections.json exists'
            : 'CONNECTIONS_FILE'
      })`,
    );

    const client = await connectClient(undefined, dataConverter);
    stops.push(() => client.connection.close());
    // Each confined Omni client gets its namespace and endpoint; the central side signs what it asks its agent.
    const grants = ensureDemoGrantKeys(join(data, 'keys', 'agent-grants.json'));
    if (grants.created) say(`generated demo grant keys in ${grants.file} (set ${GRANT_SIGNING_KEY_VARIABLE} and ${GRANT_VERIFY_KEY_VARIABLE} in production)`);
    for (const connection of connectionRegistryFromConfig().connections()) {
      const placement = agentPlacement(connection);
      if (!placement) continue;
      const report = await setupClientNamespaceAt(temporal.address, placement, {
        retentionDays: parseRetentionDays(env.TEMPORAL_RETENTION_DAYS, 'TEMPORAL_RETENTION_DAYS'),
      });
      say(`agent of ${connection.id}: ${describeClientNamespace(report)}`);
    }
    const deps = activityDepsFromConfig(client);
    const workerConnection = await connectWorker();
    const shutdownGraceSeconds = shutdownGraceSecondsFromEnv();
    const workerSetup = { connection: workerConnection, deps, dataConverter, shutdownGraceSeconds, sizing: sizingFromEnv() };
    const engine = await createEngineWorkers({ ...workerSetup, deployment: deploymentFromEnv() });
    const { version } = engine;
    const workers: Worker[] = [engine.central, engine.isync];
    // The connections in use at start: a bad one was logged and is skipped, the others run (the file is watched).
    const registry = connectionRegistryFromConfig();
    const connections = registry.connections();
    const verifyKey = verifyKeyFromEnv();
    for (const connection of connections.filter((c) => c.sourceKind === 'omni')) {
      workers.push(await createAgentWorker(workerSetup, connection.id, verifyKey ? { verifyKey } : {}));
      // A data folder of the layout before: what waits on the old queue in the central namespace drains.
      if (agentPlacement(connection)) workers.push(await createAgentWorker(workerSetup, connection.id, { legacyQueue: true }));
    }
    const running = workers.map((w) => w.run());
    stops.push(async () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running);
      await workerConnection.close();
    });
    // One process, one version: it becomes current at once, and what was pinned to an older one ends.
    if (version) {
      await setCurrentVersion(client.connection, client.options.namespace, version);
      for (const workflowId of await endRunsPinnedToOtherVersions(client, version)) {
        say(`ended ${workflowId}: it was pinned to a version of the engine that no longer runs; its next scheduled run starts over`);
      }
    }

    for (const connection of connections) {
      const outcome = await applyConnectionSchedules(client, connection);
      await client.schedule.getHandle(productSyncScheduleId(connection.id)).trigger();
      say(`schedule ${productSyncScheduleId(connection.id)}: ${outcome.productSync}, first sync triggered`);
    }
    // With a shared database, the replay cache is shared with any other intake.
    const database = databaseFromEnv();
    const intake = await startIntakeServer({
      client,
      connections: () => registry.connections(),
      webhookSecretOf: (connection) => webhookSecretOf(connection),
      port: intakePort,
      ...(env.WEBHOOK_MAX_BODY_BYTES ? { maxBodyBytes: Number(env.WEBHOOK_MAX_BODY_BYTES) } : {}),
      ...(env.WEBHOOK_BODY_TIMEOUT_MS ? { bodyTimeoutMs: Number(env.WEBHOOK_BODY_TIMEOUT_MS) } : {}),
      ...(env.WEBHOOK_HEADERS_TIMEOUT_MS ? { headersTimeoutMs: Number(env.WEBHOOK_HEADERS_TIMEOUT_MS) } : {}),
      log: intakeLogTo(intakeLog),
      ...(database ? { nonces: new PostgresWebhookNonces(database.pool, database.ready) } : {}),
    });
    stops.push(() => intake.close());

    say('ready');
    say(`  Temporal Web UI   ${temporal.uiUrl}   (gRPC ${temporal.address}, history in ${join(data, 'temporal')})`);
    say(`  Omni Accounts     ${omni.url}   (simulator, ${items} items, sales orders in ${join(data, 'omni')})`);
    say(`  iSync             ${isync.url}   (simulator, orders in ${join(data, 'isync')})`);
    say(`  Stock2Shop        ${stock2shop.apiUrl}   (simulator, data in ${join(data, 'stock2shop')})`);
    say(
      `  Order webhook     ${orderWebhookUrl(intake.url, '<source_id>')}   (signed per source: X-Stock2Shop-Signature; secrets in ${join(data, 'webhooks')})`,
    );
    say(`  Codec server      ${codec.uiEndpoint}   (the Web UI decodes payloads through it)`);
    say(`                    ${describeCodecAuth(codecAuth)}`);
    say(
      `  Workers           central + agent for ${connections
        .filter((c) => c.sourceKind === 'omni')
        .map((c) => {
          const placement = agentPlacement(c);
          return placement ? `${c.id} (confined: namespace ${placement.namespace}, Nexus endpoint ${placement.endpoint})` : c.id;
        })
        .join(', ')}`,
    );
    if (version) {
      say(`  Version           ${version.deploymentName}/${version.buildId} (current). To roll out a change beside it (docs/versioning.md):`);
      say(`                    start the new code's worker/central.ts with this stack's environment, then`);
      say(
        `                    temporal worker deployment set-current-version --address ${temporal.address} --deployment-name ${version.deploymentName} --build-id <its build id>`,
      );
      say(
        `                    and watch this one drain: temporal worker deployment describe-version --address ${temporal.address} --deployment-name ${version.deploymentName} --build-id ${version.buildId}`,
      );
    }
    // Another stack's CLI needs this one's Temporal and data folder (where its demo connections are).
    const cliEnv = [
      ...(temporal.address === 'localhost:7233' || temporal.address === '127.0.0.1:7233' ? [] : [`TEMPORAL_ADDRESS=${temporal.address}`]),
      ...(env.DATA_DIR ? [`DATA_DIR=${env.DATA_DIR}`] : []),
    ];
    say(`  CLI               ${[...cliEnv, 'npm run cli -- --help'].join(' ')}      (Ctrl-C stops everything)`);
    await Promise.all(running);
  } catch (error) {
    process.stderr.write(`start: ${(error as Error).message}\n`);
    await stopAll();
    process.exit(1);
  }
}

/** The demo's grant key pair, generated once under the data folder, unless the environment sets one. */
function ensureDemoGrantKeys(file: string): { created: boolean; file: string } {
  if (env[GRANT_SIGNING_KEY_VARIABLE] && env[GRANT_VERIFY_KEY_VARIABLE]) return { created: false, file };
  const { value, created } = demoSecret(file, () => JSON.stringify(generateGrantKeys()));
  const keys = JSON.parse(value) as ReturnType<typeof generateGrantKeys>;
  env[GRANT_SIGNING_KEY_VARIABLE] = keys.signingKey;
  env[GRANT_VERIFY_KEY_VARIABLE] = keys.verifyKey;
  return { created, file };
}

function say(line: string): void {
  process.stdout.write(`[stack] ${line}\n`);
}

void main();
