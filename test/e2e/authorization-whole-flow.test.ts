/**
 * The whole flow, confined, on the real Temporal server with its default JWT authorizer: two Omni
 * clients (acme-omni, cobalt-omni), each with its own namespace, endpoint, agent, token
 * (`client-<id>:write` only), key ring and Omni, and one iSync client (bravo-isync) served centrally.
 * The central worker holds `central:write` only. Every order is raised in its own client's source,
 * once; every pass pushes its own catalog. Agent A's token, running a workflow in its own namespace
 * that calls B's endpoint, raises nothing in B, and B's agent logs the refusal.
 * The processes are the real ones (worker/central.ts, worker/agent.ts), each with exactly its environment.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { agentPlacement, ConnectionSchema, manualProductSyncWorkflowId, raiseOrderWorkflowId, type Connection } from '../../domain';
import type { OrderStatus, ProductSyncSummary } from '../../contracts/workflows';
import { startISyncSimulator, startOmniSimulator, startStock2ShopSimulator } from '../../simulators';
import { engineDataConverter, connectionKeyRingVariable } from '../../temporal/data-converter';
import { deliverOrder } from '../../temporal/deliver-order';
import { generateKeyRingText, parseKeyRing } from '../../temporal/payload-codec';
import { generateGrantKeys } from '../../temporal/agent-grant';
import { setupNamespace } from '../../client/namespace-setup';
import { setupClientNamespace } from '../../client/client-namespaces';
import { startAuthorizedServer, type AuthorizedServer } from '../helpers/authorized-server';
import { TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { makeOrder, waitFor } from '../helpers/orders';

const projectRoot = join(__dirname, '..', '..');
const OMNI_IDS = ['acme-omni', 'cobalt-omni'] as const;
const ISYNC_ID = 'bravo-isync';
const omniLogin = { userName: 'Guest', password: 'omni-secret', companyName: 'Acme Trading (PTY) LTD' };
const isyncLogin = { userName: 'ops@bravo.example', password: 'isync-secret' };
const envName = (id: string, what: string) => `${id.replaceAll('-', '_').toUpperCase()}_${what}`;

interface Running {
  child: ChildProcess;
  output(): string;
}

function spawnProcess(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return { child, output: () => output };
}

describe('two confined Omni clients and one iSync client on a server that enforces authorization', () => {
  let server: AuthorizedServer;
  const processes: Running[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  const omni: Record<string, Awaited<ReturnType<typeof startOmniSimulator>>> = {};
  let isync: Awaited<ReturnType<typeof startISyncSimulator>>;
  let stock2shop: Awaited<ReturnType<typeof startStock2ShopSimulator>>;
  let connections: Connection[];
  let engine: Client;
  const rings = Object.fromEntries([...OMNI_IDS, ISYNC_ID].map((id) => [id, generateKeyRingText(`${id}-1`)]));
  const grants = generateGrantKeys();
  const agents: Record<string, Running> = {};

  before(async () => {
    server = await startAuthorizedServer(['central']);
    const dataDir = mkdtempSync(join(tmpdir(), 's2s-authz-flow-'));
    for (const id of OMNI_IDS) {
      const items = [{ STOCKCODE: `${id.toUpperCase()}-KETTLE`, DESCRIPTION: `Kettle of ${id}`, EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }];
      omni[id] = await startOmniSimulator({ port: 0, items, ...omniLogin });
      closers.push(() => omni[id]!.close());
    }
    isync = await startISyncSimulator({ port: 0, items: 3, ...isyncLogin });
    closers.push(() => isync.close());
    stock2shop = await startStock2ShopSimulator({
      port: 0,
      tokens: [...OMNI_IDS, ISYNC_ID].map((id) => `${id}-s2s-token`),
      dataDir: join(dataDir, 'stock2shop'),
    });
    closers.push(() => stock2shop.close());

    const omniInput = (id: string, sourceId: number) => ({
      id,
      name: `${id} (Omni Accounts)`,
      sourceKind: 'omni',
      endpoint: omni[id]!.url,
      credentialsRef: Object.fromEntries(
        ['databaseName', 'companyName', 'databaseUser', 'databasePassword', 'omniUser', 'omniPassword'].map((k) => [k, envName(id, k.toUpperCase())]),
      ),
      stock2shop: { sourceId, credentialsRef: { token: envName(id, 'S2S_TOKEN') } },
      settings: {
        param_default_customer_code: 'CASH001',
        param_warehouse_code: '1',
        param_shipping_code: 'SHIP',
        param_default_tax_code: '1',
        param_default_tax_code_exempt: '0',
        param_default_tax_code_shipping: '1',
      },
      createCommitDelaySeconds: 1,
      agent: {},
    });
    const inputs = [
      omniInput('acme-omni', 101),
      omniInput('cobalt-omni', 303),
      {
        id: ISYNC_ID,
        name: 'Bravo (iSync)',
        sourceKind: 'isync',
        endpoint: isync.url,
        credentialsRef: { username: envName(ISYNC_ID, 'USER'), password: envName(ISYNC_ID, 'PASSWORD') },
        stock2shop: { sourceId: 202, credentialsRef: { token: envName(ISYNC_ID, 'S2S_TOKEN') } },
        settings: { param_shipping_code: 'SHIP' },
        createCommitDelaySeconds: 1,
      },
    ];
    connections = inputs.map((input) => ConnectionSchema.parse(input));
    const connectionsFile = join(dataDir, 'connections.json');
    writeFileSync(connectionsFile, JSON.stringify({ connections: inputs }));

    // The operator (system admin): the central namespace's search attributes, each client's namespace and endpoint.
    const admin = await server.connect(server.mint(['temporal-system:admin'], 'operator'));
    await setupNamespace(admin, { namespace: 'central', retentionDays: 1 });
    for (const connection of connections) {
      const placement = agentPlacement(connection);
      if (placement) await setupClientNamespace(admin, placement, { retentionDays: 1 });
    }
    await admin.close();

    const { CONNECTIONS_FILE: _c, PAYLOAD_CODEC_KEYS: _k, DATABASE_URL: _d, ...inherited } = process.env;
    const common = {
      ...inherited,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TLS: 'false',
      TEMPORAL_WORKER_VERSIONING: 'off',
      CONNECTIONS_FILE: connectionsFile,
      STOCK2SHOP_URL: stock2shop.apiUrl,
      LOG_LEVEL: 'WARN',
    };
    const sourceSecrets = (id: string): NodeJS.ProcessEnv =>
      id === ISYNC_ID
        ? { [envName(id, 'USER')]: isyncLogin.userName, [envName(id, 'PASSWORD')]: isyncLogin.password, [envName(id, 'S2S_TOKEN')]: `${id}-s2s-token` }
        : {
            [envName(id, 'DATABASENAME')]: 'OMNI',
            [envName(id, 'COMPANYNAME')]: omniLogin.companyName,
            [envName(id, 'DATABASEUSER')]: 'readonly',
            [envName(id, 'DATABASEPASSWORD')]: 'readonly',
            [envName(id, 'OMNIUSER')]: omniLogin.userName,
            [envName(id, 'OMNIPASSWORD')]: omniLogin.password,
            [envName(id, 'S2S_TOKEN')]: `${id}-s2s-token`,
          };
    const centralRings = Object.fromEntries(Object.entries(rings).map(([id, ring]) => [connectionKeyRingVariable(id), ring]));
    processes.push(
      spawnProcess(['worker/central.ts'], {
        ...common,
        ...Object.assign({}, ...[...OMNI_IDS, ISYNC_ID].map(sourceSecrets)),
        ...centralRings,
        PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT,
        AGENT_GRANT_SIGNING_KEY: grants.signingKey,
        TEMPORAL_NAMESPACE: 'central',
        TEMPORAL_API_KEY: server.mint(['central:write'], 'central-worker'),
        DATA_DIR: join(dataDir, 'central'),
      }),
    );
    for (const id of OMNI_IDS) {
      agents[id] = spawnProcess(['worker/agent.ts', id], {
        ...common,
        ...sourceSecrets(id),
        PAYLOAD_CODEC_KEYS: '',
        [connectionKeyRingVariable(id)]: rings[id],
        AGENT_GRANT_VERIFY_KEY: grants.verifyKey,
        TEMPORAL_NAMESPACE: `client-${id}`,
        TEMPORAL_API_KEY: server.mint([`client-${id}:write`], `agent-${id}`),
        DATA_DIR: join(dataDir, id),
      });
      processes.push(agents[id]);
    }
    const everyRing = { central: parseKeyRing(TEST_KEY_RING_TEXT), byConnection: new Map(Object.entries(rings).map(([id, ring]) => [id, parseKeyRing(ring)])) };
    const intake = await server.connect(server.mint(['central:write'], 'intake'));
    closers.push(() => intake.close());
    engine = new Client({ connection: intake, namespace: 'central', dataConverter: engineDataConverter(everyRing) });
  });
  after(async () => {
    for (const { child } of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await server?.stop();
  });

  test('every order is raised in its own client’s source, once, and every pass pushes its own catalog', async () => {
    const skus: Record<string, string> = {
      'acme-omni': 'ACME-OMNI-KETTLE',
      'cobalt-omni': 'COBALT-OMNI-KETTLE',
      [ISYNC_ID]: isync.catalog()[0]!.SKU as string,
    };
    for (const connection of connections) {
      const code = `WEB-${connection.id}`;
      void stock2shop.addOrder({
        ...makeOrder(code, [{ sku: skus[connection.id]!, qty: 1, price: 10 }]),
        sources: [{ source_id: connection.stock2shop.sourceId }],
      });
      await deliverOrder(engine, connection, code, { via: 'webhook' });
    }
    for (const connection of connections) {
      const handle = engine.workflow.getHandle(raiseOrderWorkflowId(connection.id, `WEB-${connection.id}`));
      const status = await waitFor(
        async () => {
          const current = await handle.query<OrderStatus>('status');
          return current.state === 'raised' || current.state === 'needs_attention' ? current : undefined;
        },
        `the order of ${connection.id}`,
        120_000,
      ).catch((error: Error) => assert.fail(`${error.message}\n${processes.map((p) => p.output()).join('\n')}`));
      assert.equal(status.state, 'raised', `${connection.id}: ${JSON.stringify(status)}`);
    }
    for (const id of OMNI_IDS)
      assert.deepEqual(
        omni[id]!.orders().map((d: { reference: string }) => d.reference),
        [`WEB-${id}`],
        `${id}'s Omni holds its own order only`,
      );
    assert.deepEqual(isync.orders().length, 1);

    for (const connection of connections) {
      const summary: ProductSyncSummary = await engine.workflow.execute('productSync', {
        taskQueue: 'central',
        workflowId: manualProductSyncWorkflowId(connection.id),
        args: [{ connectionId: connection.id }],
      });
      assert.ok(summary.pushed > 0, `${connection.id}: ${summary.summary}`);
    }
    for (const id of OMNI_IDS) {
      const pushed = stock2shop
        .receivedProducts()
        .filter((item) => Number(item.source.source_id) === connections.find((c) => c.id === id)!.stock2shop.sourceId);
      assert.ok(pushed.length > 0 && pushed.every((item) => JSON.stringify(item).includes(id.toUpperCase())), `${id}: its own catalog only`);
    }
  });

  test("agent A's workflow calling B's endpoint raises nothing in B, and B's agent logs the refusal", async () => {
    const connection = await NativeConnection.connect({
      address: server.address,
      apiKey: server.mint(['client-acme-omni:write'], 'agent-acme-omni'),
      tls: false,
    });
    closers.push(() => connection.close());
    const converter = engineDataConverter({ byConnection: new Map([['acme-omni', parseKeyRing(rings['acme-omni']!)]]) });
    const rogue = await Worker.create({
      connection,
      namespace: 'client-acme-omni',
      taskQueue: 'rogue',
      workflowsPath: require.resolve('../fixtures/rogue-nexus'),
      dataConverter: converter,
    });
    const client = new Client({
      connection: await server.connect(server.mint(['client-acme-omni:write'], 'agent-acme-omni')),
      namespace: 'client-acme-omni',
      dataConverter: converter,
    });
    const forged = { call: { connectionId: 'cobalt-omni', channelOrderCode: 'WEB-FORGED', document: { reference: 'WEB-FORGED' } }, grant: 'A'.repeat(86) };
    const answer = await rogue.runUntil(
      client.workflow.execute('rogueRaise', { taskQueue: 'rogue', workflowId: 'rogue/acme-omni/1', args: ['client-cobalt-omni', forged] }),
    );
    // Refused; the reason is B's to read (encrypted with B's ring), so A sees only the refusal.
    assert.match(String(answer), /^failed: handler error \(UNAUTHENTICATED\)/, String(answer));
    assert.equal(omni['cobalt-omni']!.orders().length, 1, "nothing more in cobalt's Omni");
    await waitFor(
      async () =>
        /security: refused a raiseInSource request at the endpoint of connection cobalt-omni/.test(agents['cobalt-omni']!.output()) ? true : undefined,
      "cobalt's agent to log it",
    );
    await client.connection.close();
  });
});
