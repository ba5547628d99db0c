/**
 * One bad connection in the file, through the real worker processes (worker/central.ts and
 * worker/agent.ts, reading CONNECTIONS_FILE): each says so in one line at start and serves the
 * others; an order of the bad connection waits for a person with the field named; fixing the file
 * applies without a restart, and a retry raises the order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { retryUpdate, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

let env: TestWorkflowEnvironment;
let stack: Stack;
let file: string;
let entries: Record<string, unknown>[];
const workers: WorkerProcess[] = [];

/** Writes the connections file as a config tool does: a new file renamed over the old one. */
function writeConnections(connections: unknown[]): void {
  writeFileSync(`${file}.tmp`, JSON.stringify({ connections }, null, 2));
  renameSync(`${file}.tmp`, file);
}

const logLines = (worker: WorkerProcess) =>
  worker
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; component: string; message: string; connection?: string; field?: string; fields?: string[] });

before(async () => {
  env = await startDevServer();
  stack = await startStack(env);
  file = join(stack.dataDir, 'connections-one-bad.json');
  entries = (JSON.parse(readFileSync(join(stack.dataDir, 'connections.json'), 'utf8')) as { connections: Record<string, unknown>[] }).connections;
  // The iSync connection's endpoint is mistyped, and its page size too; the Omni connection is fine.
  writeConnections(
    entries.map((entry) => (entry.id === ISYNC_CONNECTION_ID ? { ...entry, endpoint: 'isync.example/MessageService.svc', pageSize: 0 } : entry)),
  );
  workers.push(stack.spawnWorker('central', { CONNECTIONS_FILE: file }), stack.spawnWorker('agent', { CONNECTIONS_FILE: file }));
});

after(async () => {
  for (const worker of workers) await worker.kill();
  await stack?.close();
  await env?.teardown();
});

test('a bad connection is one line at start and waits for a person; the others work; the fixed file applies without a restart', async () => {
  for (const worker of workers) {
    await waitFor(async () => (logLines(worker).some((l) => l.connection === ISYNC_CONNECTION_ID) ? true : undefined), 'the bad connection to be reported');
    const reported = logLines(worker).filter((l) => l.message.includes(ISYNC_CONNECTION_ID) && l.level === 'warn');
    assert.equal(reported.length, 1, worker.output());
    assert.equal(reported[0]!.field, 'endpoint');
    assert.deepEqual(reported[0]!.fields, ['endpoint', 'pageSize'], 'every mistake of the connection, in its one line');
    assert.match(reported[0]!.message, /^Connection bravo-isync: endpoint: must be an http\(s\) URL; pageSize: must be at least 1: connection skipped/);
    // Started without glibc's malloc tuned (docs/deploy.md), a worker says so once, at start.
    const untuned = process.platform === 'linux' && process.env.GLIBC_TUNABLES === undefined && process.env.MALLOC_ARENA_MAX === undefined;
    const mallocAdvice = () => logLines(worker).filter((l) => l.level === 'warn' && l.message.startsWith('GLIBC_TUNABLES is not set'));
    if (untuned) await waitFor(async () => (mallocAdvice().length > 0 ? true : undefined), 'the worker to say glibc is not tuned');
    assert.equal(mallocAdvice().length, untuned ? 1 : 0, worker.output());
  }

  // The good connection syncs (its agent started despite the bad entry).
  await env.client.workflow.execute('productSync', {
    taskQueue: CENTRAL_TASK_QUEUE,
    workflowId: `product-sync/${OMNI_CONNECTION_ID}/one-bad`,
    args: [{ connectionId: OMNI_CONNECTION_ID }],
  });
  assert.ok(
    stack.stock2shop.receivedProducts().some((p) => String(p.source.source_id) === '101'),
    'the Omni products reached Stock2Shop',
  );

  // An order of the bad connection waits for a person, told which field to fix.
  const sku = stack.isync.catalog()[0]!.SKU as string;
  await stack.placeOrder(makeOrder('ONE-BAD-1', [{ sku, qty: 1, price: 100 }]), ISYNC_CONNECTION_ID);
  const order = env.client.workflow.getHandle(raiseOrderWorkflowId(ISYNC_CONNECTION_ID, 'ONE-BAD-1'));
  const waiting = await waitFor(async () => {
    const status = await order.query(statusQuery);
    return status.state === 'needs_attention' ? status : undefined;
  }, 'the order to need attention');
  assert.match(waiting.reason ?? '', /^Connection bravo-isync: endpoint: must be an http\(s\) URL/);

  // The file is fixed: the running workers take it (no restart), and a retry raises the order.
  writeConnections(entries);
  await waitFor(
    async () => (logLines(workers[0]!).some((l) => l.level === 'info' && /reloaded: 2 connection\(s\) in use/.test(l.message)) ? true : undefined),
    'the central worker to reload the fixed file',
    10_000,
  );
  await order.executeUpdate(retryUpdate);
  assert.equal(((await order.result()) as OrderStatus).state, 'raised');
  assert.equal(stack.isync.orders().filter((o) => o.PONumber === 'ONE-BAD-1').length, 1);
});
