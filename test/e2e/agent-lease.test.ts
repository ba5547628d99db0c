/**
 * One Omni agent per connection at a time. Two agents of one connection, as OS processes on a real
 * dev server: the second says who serves the connection and does not poll its task queue; when the
 * first is killed (kill -9: no goodbye, its lease simply stops being renewed), the second takes over
 * and orders are raised once. With DATABASE_URL the lease is a row in Postgres (started here by
 * scripts/postgres.ts), taken over once it expires; without, a lock file under DATA_DIR, taken over
 * once its process is dead. And the lease itself: taken, refused, expired, lost, released. And a
 * central worker told there are several (CENTRAL_WORKERS) without DATABASE_URL refuses to start
 * while a connection it serves deactivates removed products.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { OrderStatus } from '../../contracts/workflows';
import { migrate } from '../../store/migrate';
import { startPostgres, type RunningPostgres } from '../../scripts/postgres';
import { CENTRAL_TASK_QUEUE, ConnectionSchema, raiseOrderWorkflowId } from '../../domain';
import { productSync } from '../../workflows';
import { refuseUnsharedProductState } from '../../worker/runtime';
import { acquireLease, FileAgentLease, keepLease, PostgresAgentLease, type AgentLease } from '../../store/agent-lease';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runCentralWorker, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

const KETTLE = { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 };
const TASK_QUEUE = `omni/${OMNI_CONNECTION_ID}`;

let env: TestWorkflowEnvironment;
let stack: Stack;
let postgres: RunningPostgres;
let database: Pool;
let stopCentral: (() => Promise<void>) | undefined;

before(async () => {
  postgres = await startPostgres();
  database = new Pool({ connectionString: postgres.url, max: 4 });
  database.on('error', () => undefined);
  await migrate(database);
  env = await startDevServer();
  stack = await startStack(env, {
    omniItems: [KETTLE],
    omniConnection: { createCommitDelaySeconds: 1 },
    // Served by the central workers: what several of them without a shared store would put at risk.
    isyncConnection: { removedProducts: 'deactivate' },
  });
  stopCentral = (await runCentralWorker(stack)).stop;
});
after(async () => {
  await stopCentral?.();
  await stack?.close();
  await env?.teardown();
  await database?.end();
  await postgres?.stop();
});

const identityOf = (agent: WorkerProcess) => `${agent.child.pid}@${hostname()}`;
const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
const documentsFor = (code: string) => stack.omni.orders().filter((d: { reference: string }) => d.reference === code);
const lines = (agent: WorkerProcess, text: string) =>
  agent
    .output()
    .split('\n')
    .filter((line) => line.includes(text));
const saying = (agent: WorkerProcess, text: string, what: string, timeoutMs = 60_000) =>
  waitFor(async () => (lines(agent, text).length > 0 ? true : undefined), `${what}:\n${agent.output()}`, timeoutMs);

/** Places the order, waits until it is raised, and answers which worker ran its raise in Omni. */
async function raisedBy(code: string): Promise<string[]> {
  await stack.placeOrder(makeOrder(code, [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]));
  const status = (await handleOf(code).result()) as OrderStatus;
  assert.equal(status.state, 'raised', `order ${code}`);
  assert.equal(documentsFor(code).length, 1, `order ${code} raised once in Omni`);
  const events = (await handleOf(code).fetchHistory()).events ?? [];
  const raiseIds = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'raiseInSource').map((e) => String(e.eventId)));
  return events
    .filter((e) => e.activityTaskStartedEventAttributes && raiseIds.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)))
    .map((e) => e.activityTaskStartedEventAttributes!.identity ?? '');
}

/** The identities polling the connection's activity task queue (the server remembers a poller for a minute or so). */
async function pollers(): Promise<string[]> {
  const answer = await env.client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: TASK_QUEUE, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (answer.pollers ?? []).map((p) => p.identity ?? '');
}

async function terminate(agent: WorkerProcess): Promise<number | null> {
  const exited = once(agent.child, 'exit') as Promise<[number | null]>;
  agent.child.kill('SIGTERM');
  return (await exited)[0];
}

test("two agents, one Postgres: the second waits without polling, takes over once the killed first one's lease expires, and raises the next order once", async () => {
  const leaseEnv = { DATABASE_URL: postgres.url, AGENT_LEASE_SECONDS: '3', LOG_LEVEL: 'INFO' };
  const first = stack.spawnWorker('agent', leaseEnv);
  let second: WorkerProcess | undefined;
  try {
    await saying(first, 'holds the lease', 'the first agent taking the lease');
    second = stack.spawnWorker('agent', leaseEnv);
    const line = `connection ${OMNI_CONNECTION_ID} is already served by agent ${identityOf(first)} (lease until `;
    await saying(second, line, 'the second agent saying who serves the connection');
    assert.equal(lines(second, 'is already served by agent').length, 1, 'said once, while the holder stays the same');
    assert.match(lines(second, line)[0]!, /"level":"warn".*\(lease until \d{4}-\d\d-\d\dT[\d:.]+Z\); this agent waits and will take over when it is gone/);

    assert.deepEqual(await raisedBy('LEASE-1'), [identityOf(first)], 'the order was raised by the first agent');
    // A few renewals later: still only the first polls.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const polling = await pollers();
    assert.ok(polling.includes(identityOf(first)), `the first agent polls (${polling.join(', ')})`);
    assert.ok(!polling.includes(identityOf(second)), `the waiting agent does not poll (${polling.join(', ')})`);
    assert.equal(lines(second, 'holds the lease').length, 0, 'the second agent never held the lease');

    const killedAt = Date.now();
    await first.kill();
    await saying(second, `(taking over from agent ${identityOf(first)}); it polls its task queue now`, 'the second agent taking over', 30_000);
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs >= 1000, `taken over only once the lease expired (${tookMs} ms after the kill)`);
    const { rows } = await database.query('SELECT holder FROM agent_leases WHERE connection_id = $1', [OMNI_CONNECTION_ID]);
    assert.deepEqual(rows, [{ holder: identityOf(second) }]);

    assert.deepEqual(await raisedBy('LEASE-2'), [identityOf(second)], 'the next order was raised by the second agent');
    assert.ok((await pollers()).includes(identityOf(second)), 'the second agent polls now');

    // Its product pages keep their state in the shared database; the pass's end clears what it saw.
    await env.client.workflow.execute(productSync, {
      taskQueue: CENTRAL_TASK_QUEUE,
      workflowId: `product-sync/${OMNI_CONNECTION_ID}/lease`,
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
    const state = await database.query('SELECT code FROM product_state WHERE connection_id = $1', [OMNI_CONNECTION_ID]);
    assert.deepEqual(state.rows, [{ code: 'KETTLE-01' }]);
    const seen = await database.query('SELECT count(*)::int AS n FROM product_pass_seen WHERE connection_id = $1', [OMNI_CONNECTION_ID]);
    assert.equal(seen.rows[0].n, 0);

    assert.equal(await terminate(second), 0, `the second agent stops cleanly:\n${second.output()}`);
    const released = await database.query('SELECT holder FROM agent_leases WHERE connection_id = $1', [OMNI_CONNECTION_ID]);
    assert.deepEqual(released.rows, [], 'a stopping agent releases its lease');
  } finally {
    await first.kill();
    await second?.kill();
  }
  assert.equal(documentsFor('LEASE-1').length, 1);
  assert.equal(documentsFor('LEASE-2').length, 1);
});

test('two agents without Postgres: a lock file under DATA_DIR; the second takes over once the first process is dead', async () => {
  // A long lease: the takeover comes from the dead pid, not from expiry.
  const lockEnv = { AGENT_LEASE_SECONDS: '30', LOG_LEVEL: 'INFO' };
  const first = stack.spawnWorker('agent', lockEnv);
  let second: WorkerProcess | undefined;
  try {
    await saying(first, 'holds the lease', 'the first agent taking the lock');
    second = stack.spawnWorker('agent', lockEnv);
    await saying(second, `connection ${OMNI_CONNECTION_ID} is already served by agent ${identityOf(first)} (lease until `, 'the second agent waiting');
    const killedAt = Date.now();
    await first.kill();
    await saying(second, `(taking over from agent ${identityOf(first)})`, "the second agent taking over the dead agent's lock", 20_000);
    assert.ok(Date.now() - killedAt < 20_000, 'well before the 30 s lease would have expired');
    assert.deepEqual(await raisedBy('LEASE-3'), [identityOf(second)]);
  } finally {
    await first.kill();
    await second?.kill();
  }
});

describe('the lease itself', () => {
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

  async function contract(make: (holder: string, seconds: number) => AgentLease, expireEarly: () => Promise<void>) {
    const a = make('a', 30);
    const b = make('b', 30);
    assert.equal((await a.tryAcquire()).held, true);
    assert.equal((await a.tryAcquire()).held, true, "taking one's own lease again is a renewal");
    const refused = await b.tryAcquire();
    assert.equal(refused.held, false);
    assert.equal(refused.holder, a.holder);
    assert.ok(refused.expiresAt.getTime() > Date.now() + 20_000);
    assert.deepEqual((await a.renew()).renewed, true);

    await expireEarly();
    assert.equal((await b.tryAcquire()).held, true, 'an expired lease is taken over');
    const lost = await a.renew();
    assert.equal(lost.renewed, false);
    assert.equal(lost.renewed === false && lost.holder?.holder, b.holder, 'the old holder learns who holds it now');
    await a.release();
    assert.equal((await a.tryAcquire()).held, false, 'releasing a lease one lost leaves it with its holder');
    await b.release();
    assert.equal((await a.tryAcquire()).held, true, 'a released lease is free');
    await a.release();
  }

  test('Postgres: taken, refused, expired and taken over, lost, released', async () => {
    const make = (holder: string, seconds: number) => new PostgresAgentLease(database, 'lease-unit', seconds, async () => undefined, holder);
    await contract(make, async () => {
      await database.query(`UPDATE agent_leases SET expires_at = now() - interval '1 second' WHERE connection_id = 'lease-unit'`);
    });
  });

  test("lock file: taken, refused, expired and taken over, lost, released; a dead process's lock is taken over at once", async () => {
    const directory = mkdtempSync(join(tmpdir(), 's2s-lease-'));
    // Two holders in one process: told apart by host name (a lock of another host is judged by its expiry alone).
    const make = (holder: string, seconds: number) => new FileAgentLease(directory, 'lease-unit', seconds, { pid: process.pid, host: `host-${holder}` });
    await contract(make, async () => {
      const lease = make('a', 30);
      const content = JSON.parse(readFileSync(lease.path, 'utf8'));
      writeFileSync(lease.path, JSON.stringify({ ...content, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    });

    // A process of this host that has exited: its lock, though not expired, is taken over.
    const child = spawn(process.execPath, ['-e', '0']);
    await once(child, 'exit');
    const dead = new FileAgentLease(directory, 'dead-holder', 300, { pid: child.pid!, host: hostname() });
    assert.equal((await dead.tryAcquire()).held, true);
    const next = new FileAgentLease(directory, 'dead-holder', 300);
    assert.equal((await next.tryAcquire()).held, true, "the dead process's lock is taken over");
  });

  test('acquireLease waits (saying so once) and keepLease reports a lease taken over after it expired', async () => {
    const said: string[] = [];
    const log = { info: (m: string) => said.push(m), warn: (m: string) => said.push(m), error: (m: string) => said.push(m) };
    const holder = new PostgresAgentLease(database, 'lease-wait', 1.5, async () => undefined, 'holder-1');
    const waiter = new PostgresAgentLease(database, 'lease-wait', 1.5, async () => undefined, 'waiter-1');
    assert.equal(await acquireLease(holder, silent), true);
    let lostReason: string | undefined;
    const held = keepLease(holder, silent, (reason) => (lostReason = reason));
    const waiting = new AbortController();
    const acquired = acquireLease(waiter, log, waiting.signal);
    await waitFor(async () => (said.length > 0 ? true : undefined), 'the waiter saying who holds the lease');
    // While the holder renews, the waiter keeps waiting.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(said.filter((m) => m.includes('is already served by agent holder-1')).length, 1, said.join('\n'));
    assert.equal(
      said.some((m) => m.includes('holds the lease')),
      false,
    );
    waiting.abort();
    assert.equal(await acquired, false, 'an aborted wait ends without the lease');
    await held.stop();

    // The holder stops renewing (as a frozen process would); the waiter takes over after expiry.
    assert.equal(await acquireLease(waiter, silent), true);
    const renewal = await holder.renew();
    assert.equal(renewal.renewed, false);
    const heldAgain = keepLease(holder, silent, (reason) => (lostReason = reason));
    await waitFor(async () => lostReason, 'the old holder noticing it lost the lease', 10_000);
    assert.match(lostReason!, /connection lease-wait: this agent \(holder-1\) lost its lease \(now held by agent waiter-1 until .*\): it stops its worker/);
    await heldAgain.stop();
    await waiter.release();
  });
});

describe('several central workers without the shared store', () => {
  test('CENTRAL_WORKERS=2 and no DATABASE_URL: the central worker refuses to start, in one line naming the connections that deactivate', async () => {
    const central = stack.spawnWorker('central', { CENTRAL_WORKERS: '2' });
    const [code] = (await once(central.child, 'exit')) as [number | null];
    assert.equal(code, 1, central.output());
    // Its last word (stderr); the log lines before it are the configuration's.
    const said = central
      .output()
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('{'));
    assert.deepEqual(said, [
      'central worker: CENTRAL_WORKERS=2 without DATABASE_URL: the connections bravo-isync deactivate removed products, ' +
        'and each worker would keep its own product state (products another worker saw would be taken off the web stores); ' +
        'set DATABASE_URL to a shared Postgres, or run one central worker',
    ]);
  });

  test('what is safe passes: one worker, a shared database, only reporting, or an Omni connection (served by its one agent)', () => {
    const [omni, isync] = stack.connections;
    const deactivating = (c: typeof omni) => ConnectionSchema.parse({ ...c, removedProducts: 'deactivate' });
    assert.equal(isync!.removedProducts, 'deactivate');
    assert.doesNotThrow(() => refuseUnsharedProductState([isync!], {}));
    assert.doesNotThrow(() => refuseUnsharedProductState([isync!], { CENTRAL_WORKERS: '1' }));
    assert.doesNotThrow(() => refuseUnsharedProductState([isync!], { CENTRAL_WORKERS: '3', DATABASE_URL: postgres.url }));
    assert.doesNotThrow(() => refuseUnsharedProductState([ConnectionSchema.parse({ ...isync!, removedProducts: 'report' })], { CENTRAL_WORKERS: '3' }));
    assert.doesNotThrow(() => refuseUnsharedProductState([deactivating(omni!)], { CENTRAL_WORKERS: '3' }));
    assert.throws(() => refuseUnsharedProductState([deactivating(omni!), isync!], { CENTRAL_WORKERS: '3' }), /the connections bravo-isync deactivate/);
    assert.throws(() => refuseUnsharedProductState([], { CENTRAL_WORKERS: 'two' }), /CENTRAL_WORKERS is 'two': use a whole number, 1 or more/);
  });
});
