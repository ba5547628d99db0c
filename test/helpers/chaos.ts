/**
 * What every chaos scenario shares (test/chaos/*.test.ts): a dev server of its own that can be killed
 * and started again, the stack with both workers as OS processes, the load (a multi-page product
 * sync and a burst of 200 orders), and the counts each scenario prints and asserts: nothing lost,
 * nothing raised twice, nothing reported wrongly.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { statusQuery, type OrderStatus } from '../../contracts/workflows';
import type { ProductSyncSummary } from '../../contracts/workflows';
import { startDevServerProcess, type RunningDevServer } from '../../scripts/dev-server';
import { testDataConverter } from './temporal';
import { OMNI_CONNECTION_ID, startStack, type Stack, type WorkerProcess } from './stack';
import { freePort } from './ports';
import { makeOrder, waitFor } from './orders';

export const CATALOG = 2000;
export const PAGE_SIZE = 100;
export const ORDERS = 200;

/** A dev server of its own, with a SQLite file, that can be killed and started again on the same port. */
export class ChaosServer {
  private constructor(
    readonly dbFile: string,
    readonly port: number,
    private uiPort: number,
    public running: RunningDevServer,
  ) {}

  static async start(): Promise<ChaosServer> {
    const folder = mkdtempSync(join(tmpdir(), 's2s-chaos-'));
    const [port, uiPort] = [await freePort(), await freePort()];
    const dbFile = join(folder, 'temporal.sqlite');
    const running = await startDevServerProcess({ dbFile, logFile: join(folder, 'server.log'), port, uiPort });
    return new ChaosServer(dbFile, port, uiPort, running);
  }

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.running.process.once('exit', resolve));
    this.running.process.kill('SIGKILL');
    await exited;
  }

  /**
   * The same gRPC port (the workers keep their address), a fresh UI port. While the server was down,
   * another process (an outgoing connection's ephemeral port, say) may hold either port for a moment:
   * the start is tried again then.
   */
  async restart(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.uiPort = await freePort();
      try {
        this.running = await startDevServerProcess({ dbFile: this.dbFile, logFile: `${this.dbFile}.log`, port: this.port, uiPort: this.uiPort });
        return;
      } catch (error) {
        if (attempt >= 5 || !/already in use/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
}

export interface Scenario {
  server: ChaosServer;
  client: Client;
  stack: Stack;
  central: WorkerProcess;
  agent: WorkerProcess;
  orderCodes: string[];
}

/** The environment each kind of worker process gets on top of the stack's (e.g. DATABASE_URL, another TEMPORAL_ADDRESS). */
export type WorkerEnv = Partial<Record<'central' | 'agent', NodeJS.ProcessEnv>>;

/**
 * A dev server, the stack on it, and both workers as their own processes. `workerEnv` is what each
 * kind of worker gets on top of the stack's environment, or makes it once the server runs (e.g. a
 * proxy in front of it).
 */
export async function startScenario(
  omniConnection: Record<string, unknown> = {},
  workerEnv: WorkerEnv | ((server: ChaosServer) => Promise<WorkerEnv>) = {},
): Promise<Scenario> {
  const server = await ChaosServer.start();
  const extraEnv = typeof workerEnv === 'function' ? await workerEnv(server) : workerEnv;
  const client = new Client({ connection: await Connection.connect({ address: server.running.address }), dataConverter: testDataConverter });
  // The stack needs the server's address and a client; its workers run as their own processes here.
  const env = { address: server.running.address, client, nativeConnection: undefined } as unknown as TestWorkflowEnvironment;
  const stack = await startStack(env, {
    omniItems: CATALOG,
    omniConnection: { pageSize: PAGE_SIZE, requestLimits: { maxConcurrent: 8, perSecond: 200 }, sourceProbeSeconds: 1, ...omniConnection },
  });
  return {
    server,
    client,
    stack,
    central: stack.spawnWorker('central', extraEnv.central),
    agent: stack.spawnWorker('agent', extraEnv.agent),
    orderCodes: [],
  };
}

export async function stopScenario(scenario: Scenario | undefined): Promise<void> {
  if (!scenario) return;
  await scenario.central.kill();
  await scenario.agent.kill();
  await scenario.stack.close();
  await scenario.client.connection.close();
  await scenario.server.kill().catch(() => undefined);
}

function codesIn(stack: Stack, states: string[]): string[] {
  return (stack.omni.catalog() as { STOCKCODE: string; EXTRADTLS8: unknown }[])
    .filter((item) => typeof item.EXTRADTLS8 === 'string' && states.includes(item.EXTRADTLS8.trim().toUpperCase()))
    .map((item) => item.STOCKCODE);
}

/** A multi-page sync and a burst of orders, started together; resolves once every order is delivered. */
export async function startLoad(scenario: Scenario, prefix: string): Promise<void> {
  const skus = codesIn(scenario.stack, ['ACTIVE']);
  await scenario.client.workflow.start('productSync', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: `product-sync/${OMNI_CONNECTION_ID}/${prefix}`,
    args: [{ connectionId: OMNI_CONNECTION_ID }],
  });
  const codes = Array.from({ length: ORDERS }, (_, i) => `${prefix}-${i + 1}`);
  scenario.orderCodes.push(...codes);
  // Delivered ten at a time, as webhooks arrive: a delivery that meets a dead server is sent again.
  for (let start = 0; start < codes.length; start += 10) {
    await Promise.all(
      codes
        .slice(start, start + 10)
        .map((code, i) =>
          retrying(() => scenario.stack.placeOrder(makeOrder(code, [{ sku: skus[(start + i) % skus.length]!, qty: 1 + ((start + i) % 3), price: 10 }]))),
        ),
    );
  }
}

/** Stock2Shop sends a webhook again until it is taken; so does this (for up to two minutes). */
async function retrying<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export const orderHandle = (scenario: Scenario, code: string) => scenario.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));

/** Waits for every order to leave the source's hands: raised, or waiting for a person. */
export async function settledOrders(scenario: Scenario): Promise<Map<string, OrderStatus>> {
  const settled = new Map<string, OrderStatus>();
  let open: string[] = [];
  await waitFor(
    async () => {
      for (const code of scenario.orderCodes) {
        if (settled.get(code)?.state === 'raised' && !settled.get(code)?.writeBackPending) continue;
        const status = await orderHandle(scenario, code)
          .query(statusQuery)
          .catch(() => undefined);
        if (status) settled.set(code, status);
      }
      open = scenario.orderCodes.filter((code) => {
        const status = settled.get(code);
        return !status || !['raised', 'needs_attention', 'failed'].includes(status.state) || status.writeBackPending;
      });
      return open.length === 0 ? true : undefined;
    },
    'every order raised or waiting for a person',
    240_000,
  ).catch((error: Error) => {
    const states = open.slice(0, 10).map((code) => `${code}: ${JSON.stringify(settled.get(code) ?? 'no status')}`);
    throw new Error(`${error.message}; ${open.length} still open, e.g. ${states.join('; ')}`);
  });
  return settled;
}

export interface Counts {
  ordersLost: number;
  ordersRaisedTwice: number;
  ordersReportedNotRaisedButInSource: number;
  ordersNotRaised: number;
  productsMissing: number;
  productsPushedTwiceSameContent: number;
}

export function countsOf(scenario: Scenario, settled: Map<string, OrderStatus>): Counts {
  const documents = new Map<string, number>();
  for (const document of scenario.stack.omni.orders() as { reference: string }[]) {
    documents.set(document.reference, (documents.get(document.reference) ?? 0) + 1);
  }
  const pushed = new Map<string, number>();
  const received = new Set<string>();
  for (const item of scenario.stack.stock2shop.receivedProducts() as { source: Record<string, unknown>; product: { variants: { sku: string } } }[]) {
    const { sync_token: _sync, fetch_token: _fetch, ...source } = item.source;
    const key = JSON.stringify({ source, product: item.product });
    pushed.set(key, (pushed.get(key) ?? 0) + 1);
    received.add(item.product.variants.sku);
  }
  return {
    ordersLost: scenario.orderCodes.filter((code) => !settled.has(code)).length,
    ordersRaisedTwice: scenario.orderCodes.filter((code) => (documents.get(code) ?? 0) > 1).length,
    ordersReportedNotRaisedButInSource: scenario.orderCodes.filter((code) => settled.get(code)?.state !== 'raised' && (documents.get(code) ?? 0) > 0).length,
    ordersNotRaised: scenario.orderCodes.filter((code) => settled.get(code)?.state !== 'raised').length,
    productsMissing: codesIn(scenario.stack, ['ACTIVE', 'DELETE']).filter((code) => !received.has(code)).length,
    productsPushedTwiceSameContent: [...pushed.values()].filter((n) => n > 1).length,
  };
}

export function report(t: TestContext, name: string, counts: Counts): void {
  const line = Object.entries(counts)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  t.diagnostic(`${name}: ${line}`);
  process.stdout.write(`# chaos ${name}: ${line}\n`);
}

/**
 * Every count 0, but products pushed twice with the same content: at most `pushedTwiceAtMost` (the
 * pages in flight when the chaos struck), `why` saying so.
 */
export function assertNothingLost(counts: Counts, pushedTwiceAtMost: number, why: string): void {
  assert.deepEqual(
    { ...counts, productsPushedTwiceSameContent: 0 },
    { ordersLost: 0, ordersRaisedTwice: 0, ordersReportedNotRaisedButInSource: 0, ordersNotRaised: 0, productsMissing: 0, productsPushedTwiceSameContent: 0 },
  );
  assert.ok(counts.productsPushedTwiceSameContent <= pushedTwiceAtMost, `${why} (${counts.productsPushedTwiceSameContent})`);
}

/** Waits until two pages are synced and twenty orders raised, so the chaos strikes in the middle of both. */
export async function untilUnderWay(scenario: Scenario, prefix: string): Promise<void> {
  const sync = scenario.client.workflow.getHandle(`product-sync/${OMNI_CONNECTION_ID}/${prefix}`);
  await waitFor(
    async () => {
      const { pages } = (await sync.query<{ pages: number }>('progress')) as { pages: number };
      return pages >= 2 && (scenario.stack.omni.orders() as unknown[]).length >= 20 ? true : undefined;
    },
    'the sync and the burst under way',
    120_000,
  );
}

/** Where the load stands when chaos strikes: a kill that lands after the work proves nothing. */
export async function inFlight(t: TestContext, scenario: Scenario, prefix: string, moment = 'at the kill'): Promise<void> {
  const progress = (await scenario.client.workflow.getHandle(`product-sync/${OMNI_CONNECTION_ID}/${prefix}`).query<{ pages: number }>('progress')) as {
    pages: number;
  };
  const raised = (scenario.stack.omni.orders() as unknown[]).length;
  t.diagnostic(`${moment}: ${progress.pages} of ${CATALOG / PAGE_SIZE} pages synced, ${raised} of ${ORDERS} orders in the source`);
  assert.ok(progress.pages < CATALOG / PAGE_SIZE, 'the sync was under way');
  assert.ok(raised < ORDERS, 'the burst was under way');
}

export async function syncResult(scenario: Scenario, prefix: string): Promise<ProductSyncSummary> {
  return (await scenario.client.workflow.getHandle(`product-sync/${OMNI_CONNECTION_ID}/${prefix}`).result()) as ProductSyncSummary;
}
