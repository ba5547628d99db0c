/**
 * Scale-out: two central workers and two Omni agents, as OS processes, sharing one Postgres store
 * (DATABASE_URL) on one dev server. Passes of several pages land on either central worker; one is
 * killed in the middle of a pass. Each product is pushed once per content (the page in flight at the
 * kill aside), the removed list is exact, and `deactivate` pushes inactive only what left the source.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE } from '../../domain';
import type { ProductSyncSummary } from '../../contracts/workflows';
import { progressQuery } from '../../contracts/workflows';
import { startPostgres, type RunningPostgres } from '../../scripts/postgres';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { waitFor } from '../helpers/orders';

const PAGE_SIZE = 5;
const ITEMS = 40;

let postgres: RunningPostgres;
let env: TestWorkflowEnvironment;
let stack: Stack;
const processes: WorkerProcess[] = [];

before(async () => {
  postgres = await startPostgres();
  env = await startDevServer();
  stack = await startStack(env, {
    omniItems: ITEMS,
    isyncItems: ITEMS,
    omniConnection: { pageSize: PAGE_SIZE, removedProducts: 'deactivate' },
    isyncConnection: { pageSize: PAGE_SIZE, removedProducts: 'deactivate' },
  });
  const shared = { DATABASE_URL: postgres.url, CENTRAL_WORKERS: '2', AGENT_LEASE_SECONDS: '3' };
  for (const kind of ['central', 'central', 'agent', 'agent'] as const) processes.push(stack.spawnWorker(kind, shared));
});
after(async () => {
  for (const worker of processes) await worker.kill();
  await stack?.close();
  await env?.teardown();
  await postgres?.stop();
});

type Received = { source: { source_id: number | string; product_active: string }; product: { variants: { sku: string } } };
const received = (sourceId: number) =>
  (stack.stock2shop.receivedProducts() as unknown as Received[]).filter((item) => String(item.source.source_id) === String(sourceId));
const sourceIdOf = (connectionId: string) => stack.connections.find((c) => c.id === connectionId)!.stock2shop.sourceId;

async function pass(connectionId: string, workflowId: string, during?: (progress: () => Promise<number>) => Promise<void>): Promise<ProductSyncSummary> {
  const handle = await env.client.workflow.start('productSync', { taskQueue: CENTRAL_TASK_QUEUE, workflowId, args: [{ connectionId }] });
  if (during) await during(async () => (await handle.query(progressQuery)).pages);
  return (await handle.result()) as ProductSyncSummary;
}

function codesOf(connectionId: string): string[] {
  return connectionId === OMNI_CONNECTION_ID
    ? (stack.omni.catalog() as { STOCKCODE: string }[]).map((item) => item.STOCKCODE)
    : (stack.isync.catalog() as { SKU: string }[]).map((item) => item.SKU);
}

test('two central workers and two agents on one shared store: a pass across both, one worker killed, nothing lost or pushed twice', async () => {
  // First passes: every valid product pushed exactly once, whichever worker ran its page.
  for (const connectionId of [OMNI_CONNECTION_ID, ISYNC_CONNECTION_ID]) {
    const summary = await pass(connectionId, `product-sync/${connectionId}/first`);
    assert.equal(summary.pages, ITEMS / PAGE_SIZE);
    const counts = new Map<string, number>();
    for (const item of received(sourceIdOf(connectionId))) counts.set(item.product.variants.sku, (counts.get(item.product.variants.sku) ?? 0) + 1);
    assert.ok(counts.size > 0, `${connectionId}: products pushed`);
    assert.deepEqual(
      [...counts.values()].filter((n) => n !== 1),
      [],
      `${connectionId}: each product pushed once in the first pass`,
    );
  }

  // The second iSync pass: three products leave the source; one central worker is killed mid-pass.
  const pushedActive = (connectionId: string) => [
    ...new Set(
      received(sourceIdOf(connectionId))
        .filter((item) => item.source.product_active === 'true')
        .map((item) => item.product.variants.sku),
    ),
  ];
  const isyncCodes = pushedActive(ISYNC_CONNECTION_ID);
  const leaving = [isyncCodes[2]!, isyncCodes[11]!, isyncCodes[isyncCodes.length - 2]!];
  for (const code of leaving) stack.isync.removeItem(code);
  const before = received(sourceIdOf(ISYNC_CONNECTION_ID)).length;
  await stack.isync.setFaults({ latencyMs: 300 });
  const summary = await pass(ISYNC_CONNECTION_ID, `product-sync/${ISYNC_CONNECTION_ID}/second`, async (progress) => {
    await waitFor(async () => ((await progress()) >= 2 ? true : undefined), 'two pages of the second pass');
    await processes[0]!.kill();
    await stack.isync.clearFaults();
  });
  assert.deepEqual([...summary.removedCodes].sort(), [...leaving].sort(), 'the removed list is exactly what left the source, though pages ran on two machines');
  assert.equal(summary.deactivated, leaving.length);
  const pushedSecond = received(sourceIdOf(ISYNC_CONNECTION_ID)).slice(before);
  const inSource = new Set(codesOf(ISYNC_CONNECTION_ID));
  const deactivatedGone = pushedSecond.filter((item) => item.source.product_active === 'false' && !inSource.has(item.product.variants.sku));
  assert.deepEqual(
    deactivatedGone.map((item) => item.product.variants.sku).sort(),
    [...leaving].sort(),
    'deactivate pushes inactive, once each, only the products that left the source',
  );
  const repushed = pushedSecond.filter((item) => inSource.has(item.product.variants.sku));
  assert.ok(repushed.length <= PAGE_SIZE, `unchanged products are not pushed again, but for the page in flight at the kill (${repushed.length})`);

  // The Omni pass meanwhile: its agent pair shared one lease, and the removed list is exact too.
  const omniCodes = pushedActive(OMNI_CONNECTION_ID);
  stack.omni.removeItem(omniCodes[8]!);
  const omniSummary = await pass(OMNI_CONNECTION_ID, `product-sync/${OMNI_CONNECTION_ID}/second`);
  assert.deepEqual(omniSummary.removedCodes, [omniCodes[8]!]);
  const agentsServing = processes.slice(2).filter((agent) => /is already served by agent/.test(agent.output())).length;
  assert.equal(agentsServing, 1, 'one of the two agents waited for the lease instead of serving');
});
