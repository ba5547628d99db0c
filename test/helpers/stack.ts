/**
 * The engine as the tests run it: the three simulators on free ports, two connections pointing at
 * them (one Omni Accounts, one iSync), the activity dependencies, and the central and Omni agent
 * workers on a real Temporal server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { agentPlacement, ConnectionSchema, type Connection } from '../../domain';
import { setupClientNamespace } from '../../client/client-namespaces';
import { MemorySessionCoordinator, type SourceSecrets } from '../../connectors';
import { stock2shopClients as engineStock2ShopClients } from '../../worker/stock2shop-clients';
import type { ActivityDeps } from '../../activities';
import { FileProductStateStore } from '../../store/file-store';
import { createAgentWorker, createCentralWorker, createISyncWorker, workerVersion, type WorkerSetup } from '../../worker/workers';
import { startISyncSimulator, startOmniSimulator, startStock2ShopSimulator } from '../../simulators';
import { deliverOrder, type DeliveryOutcome } from '../../temporal/deliver-order';
import type { Stock2ShopOrder } from '../../domain/stock2shop';
import { TEST_KEY_RING_TEXT, testDataConverter } from './temporal';
import { generateGrantKeys, GRANT_SIGNING_KEY_VARIABLE, GRANT_VERIFY_KEY_VARIABLE, signingKeyFromEnv, verifyKeyFromEnv } from '../../temporal/agent-grant';
import { WORKER_NODE_OPTIONS } from '../../worker/sizing';

export const OMNI_CONNECTION_ID = 'acme-omni';
export const ISYNC_CONNECTION_ID = 'bravo-isync';
/** Each connection calls Stock2Shop with its own source's token, and Stock2Shop signs each source's webhooks. */
export const STOCK2SHOP_TOKENS = { [OMNI_CONNECTION_ID]: 'acme-s2s-token', [ISYNC_CONNECTION_ID]: 'bravo-s2s-token' } as const;
/** Acme's connection logs in as an API user (ephemeral tokens, renewed); Bravo's calls with a fixed token. */
export const STOCK2SHOP_USERS = { [OMNI_CONNECTION_ID]: { username: 'acme-engine', password: 'acme-s2s-password', account: 'acme' } } as const;
/** Acme's on-site agent logs in as an API user of its own (the same variables, its machine's values). */
export const STOCK2SHOP_AGENT_USER = { username: 'acme-agent', password: 'acme-agent-s2s-password', account: 'acme' } as const;
export const WEBHOOK_SECRETS = {
  [OMNI_CONNECTION_ID]: 'acme-webhook-secret-32-bytes-or-more',
  [ISYNC_CONNECTION_ID]: 'bravo-webhook-secret-32-bytes-or-more',
} as const;

export const omniLogin = { userName: 'Guest', password: 'omni-secret', companyName: 'Acme Trading (PTY) LTD' };
export const isyncLogin = { userName: 'ops@bravo.example', password: 'isync-secret' };

type OmniSimulator = Awaited<ReturnType<typeof startOmniSimulator>>;
type ISyncSimulator = Awaited<ReturnType<typeof startISyncSimulator>>;
type Stock2ShopSimulator = Awaited<ReturnType<typeof startStock2ShopSimulator>>;

export interface StackOptions {
  omniItems?: Parameters<typeof startOmniSimulator>[0]['items'];
  isyncItems?: Parameters<typeof startISyncSimulator>[0]['items'];
  /** Overrides of either connection, e.g. settings or request limits. */
  omniConnection?: Partial<Record<string, unknown>>;
  isyncConnection?: Partial<Record<string, unknown>>;
  guardTiming?: ActivityDeps['guardTiming'];
  /** Stock2Shop's own settings, e.g. its rate limit per account or how long a login's token lasts. */
  stock2shopSimulator?: Pick<Parameters<typeof startStock2ShopSimulator>[0], 'rateLimitPerSecond' | 'tokenTtlMs'>;
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the process wrote (stdout and stderr): its log lines. */
  output(): string;
  /** SIGKILL: no shutdown, no goodbye, as when a machine loses power. */
  kill(): Promise<void>;
}

const projectRoot = join(__dirname, '..', '..');

export interface Stack {
  omni: OmniSimulator;
  isync: ISyncSimulator;
  stock2shop: Stock2ShopSimulator;
  connections: Connection[];
  deps: ActivityDeps;
  dataDir: string;
  /** Every secret value the stack's connections use: none may appear in history, logs or the database. */
  secretValues: string[];
  /** The grant key pair: the central side signs with `signingKey`, confined agents verify with `verifyKey`. */
  grantKeys: { signingKey: string; verifyKey: string };
  /**
   * An order placed in Stock2Shop for the connection's source and announced, as the webhook does: the
   * workflow reads it from Stock2Shop. Placing an order code already held only announces it again.
   */
  placeOrder(order: Stock2ShopOrder | Record<string, unknown>, connectionId?: string): Promise<DeliveryOutcome>;
  /** The central worker in this process; a versioned one with `deployment` (and a variant bundle with `workflowBundle`). */
  startCentralWorker(options?: Pick<WorkerSetup, 'deployment' | 'workflowBundle' | 'shutdownGraceSeconds' | 'sizing'>): Promise<Worker>;
  startAgentWorker(): Promise<Worker>;
  /** A worker as its own OS process (worker/central.ts or worker/agent.ts), to be killed for real. */
  spawnWorker(kind: 'central' | 'agent', extraEnv?: NodeJS.ProcessEnv): WorkerProcess;
  close(): Promise<void>;
}

export async function startStack(env: TestWorkflowEnvironment, options: StackOptions = {}): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 's2s-engine-'));
  const omni = await startOmniSimulator({ port: 0, items: options.omniItems ?? 50, ...omniLogin });
  const isync = await startISyncSimulator({ port: 0, items: options.isyncItems ?? 30, ...isyncLogin });
  const stock2shop = await startStock2ShopSimulator({
    port: 0,
    tokens: Object.values(STOCK2SHOP_TOKENS),
    users: [...Object.values(STOCK2SHOP_USERS), STOCK2SHOP_AGENT_USER],
    dataDir: join(dataDir, 'stock2shop'),
    ...options.stock2shopSimulator,
  });

  const connectionInputs = [
    {
      id: OMNI_CONNECTION_ID,
      name: 'Acme Trading (Omni Accounts)',
      sourceKind: 'omni',
      endpoint: omni.url,
      credentialsRef: {
        databaseName: 'ACME_OMNI_DATABASE',
        companyName: 'ACME_OMNI_COMPANY',
        databaseUser: 'ACME_OMNI_DB_USER',
        databasePassword: 'ACME_OMNI_DB_PASSWORD',
        omniUser: 'ACME_OMNI_USER',
        omniPassword: 'ACME_OMNI_PASSWORD',
      },
      // Tests measure the engine, not Stock2Shop's limit (3/s by default): the rate tests set their own.
      stock2shop: {
        sourceId: 101,
        credentialsRef: { username: 'ACME_S2S_USER', password: 'ACME_S2S_PASSWORD', webhookSecret: 'ACME_S2S_WEBHOOK_SECRET' },
        requestsPerSecond: 1000,
      },
      settings: {
        param_default_customer_code: 'CASH001',
        param_warehouse_code: '1',
        param_shipping_code: 'SHIP',
        param_default_tax_code: '1',
        param_default_tax_code_exempt: '0',
        param_default_tax_code_shipping: '1',
      },
      requestLimits: { maxConcurrent: 4, perSecond: 50 },
      createCommitDelaySeconds: 1,
      ...options.omniConnection,
    },
    {
      id: ISYNC_CONNECTION_ID,
      name: 'Bravo Outdoor (iSync)',
      sourceKind: 'isync',
      endpoint: isync.url,
      credentialsRef: { username: 'BRAVO_ISYNC_USER', password: 'BRAVO_ISYNC_PASSWORD' },
      stock2shop: { sourceId: 202, credentialsRef: { token: 'BRAVO_S2S_TOKEN', webhookSecret: 'BRAVO_S2S_WEBHOOK_SECRET' }, requestsPerSecond: 1000 },
      settings: { param_shipping_code: 'SHIP' },
      requestLimits: { maxConcurrent: 4, perSecond: 50 },
      createCommitDelaySeconds: 1,
      ...options.isyncConnection,
    },
  ];
  const connections = connectionInputs.map((input) => ConnectionSchema.parse(input));
  // A confined agent's namespace and endpoint, as `clients add` makes them.
  for (const connection of connections) {
    const placement = agentPlacement(connection);
    if (placement) await setupClientNamespace(env.connection, placement, { retentionDays: 1 });
  }
  const connectionsFile = join(dataDir, 'connections.json');
  // The central side signs what it asks a confined agent; the agents verify it.
  const grantKeys = generateGrantKeys();
  writeFileSync(connectionsFile, JSON.stringify({ connections: connectionInputs }));
  /** What a worker started as its own process needs: the same connections, secrets and stores. */
  const processEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    CONNECTIONS_FILE: connectionsFile,
    DATA_DIR: dataDir,
    STOCK2SHOP_URL: stock2shop.apiUrl,
    ACME_S2S_USER: STOCK2SHOP_USERS[OMNI_CONNECTION_ID].username,
    ACME_S2S_PASSWORD: STOCK2SHOP_USERS[OMNI_CONNECTION_ID].password,
    BRAVO_S2S_TOKEN: STOCK2SHOP_TOKENS[ISYNC_CONNECTION_ID],
    ACME_S2S_WEBHOOK_SECRET: WEBHOOK_SECRETS[OMNI_CONNECTION_ID],
    BRAVO_S2S_WEBHOOK_SECRET: WEBHOOK_SECRETS[ISYNC_CONNECTION_ID],
    PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT,
    [GRANT_SIGNING_KEY_VARIABLE]: grantKeys.signingKey,
    [GRANT_VERIFY_KEY_VARIABLE]: grantKeys.verifyKey,
    // The tests' in-process workers are unversioned; a test of Worker Versioning turns it on.
    TEMPORAL_WORKER_VERSIONING: 'off',
    ACME_OMNI_USER: omniLogin.userName,
    ACME_OMNI_PASSWORD: omniLogin.password,
    ACME_OMNI_COMPANY: omniLogin.companyName,
    BRAVO_ISYNC_USER: isyncLogin.userName,
    BRAVO_ISYNC_PASSWORD: isyncLogin.password,
    LOG_LEVEL: 'WARN',
  };
  const secrets: Record<string, SourceSecrets> = { [OMNI_CONNECTION_ID]: omniLogin, [ISYNC_CONNECTION_ID]: isyncLogin };
  const deps: ActivityDeps = {
    connections: () => connections,
    secretsOf: (connection) => {
      const found = secrets[connection.id];
      if (!found) throw new Error(`no test secrets for ${connection.id}`);
      return found;
    },
    // The engine's own clients: Acme logs in as its API user, Bravo calls with its fixed token.
    stock2shopFor: engineStock2ShopClients({
      endpoint: stock2shop.apiUrl,
      role: 'central',
      centralWorkers: 1,
      connections: () => connections,
      coordinator: new MemorySessionCoordinator(),
      env: processEnv,
    }),
    productStore: new FileProductStateStore(join(dataDir, 'product-state')),
    temporalClient: env.client,
    grantSigningKey: signingKeyFromEnv({ [GRANT_SIGNING_KEY_VARIABLE]: grantKeys.signingKey })!,
    ...(options.guardTiming ? { guardTiming: options.guardTiming } : {}),
  };
  const setup = { connection: env.nativeConnection, deps, dataConverter: testDataConverter };
  const connectionById = (id: string) => {
    const found = connections.find((c) => c.id === id);
    if (!found) throw new Error(`no test connection ${id}`);
    return found;
  };
  const secretValues = [
    ...Object.values(STOCK2SHOP_TOKENS),
    STOCK2SHOP_USERS[OMNI_CONNECTION_ID].password,
    STOCK2SHOP_AGENT_USER.password,
    ...Object.values(WEBHOOK_SECRETS),
    omniLogin.password,
    isyncLogin.password,
    TEST_KEY_RING_TEXT.split(':')[1]!,
    grantKeys.signingKey,
  ];
  const workers: Worker[] = [];
  /** One iSync worker per version a central worker polls as ('' for unversioned), as in the central's process. */
  const isyncWorkers = new Map<string, Promise<{ worker: Worker; running: Promise<void> }>>();
  const children: ChildProcess[] = [];
  return {
    omni,
    isync,
    stock2shop,
    connections,
    deps,
    dataDir,
    secretValues,
    grantKeys,
    async placeOrder(order, connectionId = OMNI_CONNECTION_ID) {
      const connection = connectionById(connectionId);
      const code = String(order.channel_order_code);
      if (!stock2shop.orders().some((held) => held.channel_order_code === code && held.order !== null)) {
        void stock2shop.addOrder({ ...(order as Stock2ShopOrder), sources: withSource(order, connection.stock2shop.sourceId) });
      }
      return deliverOrder(env.client, connection, code, { via: 'webhook' });
    },
    async startCentralWorker(options = {}) {
      const worker = await createCentralWorker({ ...setup, ...options });
      workers.push(worker);
      // iSync's calls have a queue of their own, served in the central worker's process and version:
      // here, by one worker per version running in the background until the stack closes.
      const version = workerVersion(worker);
      const key = version?.buildId ?? '';
      if (!isyncWorkers.has(key))
        isyncWorkers.set(
          key,
          createISyncWorker(setup, version).then((created) => ({ worker: created, running: created.run() })),
        );
      await isyncWorkers.get(key);
      return worker;
    },
    async startAgentWorker() {
      const worker = await createAgentWorker(setup, OMNI_CONNECTION_ID, { verifyKey: verifyKeyFromEnv({ [GRANT_VERIFY_KEY_VARIABLE]: grantKeys.verifyKey })! });
      workers.push(worker);
      return worker;
    },
    spawnWorker(kind, extraEnv = {}) {
      const entry = kind === 'central' ? 'worker/central.ts' : 'worker/agent.ts';
      const args = [...WORKER_NODE_OPTIONS, '--import', 'tsx', entry, ...(kind === 'agent' ? [OMNI_CONNECTION_ID] : [])];
      // An agent's machine holds the connection's variables with its own Stock2Shop user's values (docs/deploy.md).
      const agentUser = kind === 'agent' ? { ACME_S2S_USER: STOCK2SHOP_AGENT_USER.username, ACME_S2S_PASSWORD: STOCK2SHOP_AGENT_USER.password } : {};
      const child = spawn(process.execPath, args, { cwd: projectRoot, env: { ...processEnv, ...agentUser, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        process.stderr.write(chunk);
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      children.push(child);
      return {
        child,
        output: () => output,
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
    },
    async close() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const started of isyncWorkers.values()) {
        const { worker, running } = await started;
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
      }
      await Promise.all([omni.close(), isync.close(), stock2shop.close()]);
    },
  };
}

/** The order's sources with the connection's source among them (Stock2Shop lists an order per source). */
function withSource(order: { sources?: unknown }, sourceId: number): { source_id: number }[] {
  const sources = Array.isArray(order.sources) ? (order.sources as { source_id: number }[]) : [];
  return sources.some((s) => String(s.source_id) === String(sourceId)) ? sources : [...sources, { source_id: sourceId }];
}

/** Runs the workers until `body` settles, then shuts them down (and waits for them to stop). */
export async function withWorkers<T>(workers: Worker[], body: () => Promise<T>): Promise<T> {
  const running = workers.map((w) => w.run());
  try {
    return await body();
  } finally {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.allSettled(running);
  }
}

/** The central worker running in the background for a whole test file; `stop` ends it. */
export async function runCentralWorker(stack: Stack): Promise<{ stop(): Promise<void> }> {
  const central = await stack.startCentralWorker();
  const running = central.run();
  return {
    async stop() {
      if (central.getState() === 'RUNNING') central.shutdown();
      await running;
    },
  };
}

/** The central and agent workers running in the background for a whole test file; `stop` ends them. */
export async function runBothWorkers(stack: Stack): Promise<{ stop(): Promise<void> }> {
  const workers = [await stack.startCentralWorker(), await stack.startAgentWorker()];
  const running = workers.map((w) => w.run());
  return {
    async stop() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running);
    },
  };
}
