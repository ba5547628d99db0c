/**
 * Errors an operator can read, through the CLI as a process on the real dev server:
 * - a connections file with one bad connection: the CLI serves the good ones (as the workers do) and
 *   warns about the bad one in one line on stderr; a command naming the bad one says what is wrong;
 * - an order whose history was written under a payload key the ring no longer holds: `order status`
 *   and `order retry` name the missing key and what to do, instead of `error: Encoded failure`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { generateKeyRingText } from '../../temporal/payload-codec';
import { runCliProcess } from '../helpers/cli';
import { startDevServer, TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, runBothWorkers, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

describe('errors an operator can read', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let central: WorkerProcess | undefined;
  let cliEnv: NodeJS.ProcessEnv;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    });
    cliEnv = {
      TEMPORAL_ADDRESS: env.address,
      CONNECTIONS_FILE: join(stack.dataDir, 'connections.json'),
      DATA_DIR: stack.dataDir,
      PAYLOAD_CODEC_KEYS: TEST_KEY_RING_TEXT,
    };
    // An order that waits for a person (an unknown stock code), its history written with the key "test".
    const workers = await runBothWorkers(stack);
    try {
      await stack.placeOrder(makeOrder('WEB-ERR-1', [{ sku: 'GHOST-01', qty: 1, price: 10 }]));
      await waitFor(async () => {
        const { stdout } = await runCliProcess(['order', 'status', OMNI_CONNECTION_ID, 'WEB-ERR-1'], cliEnv);
        return /needs attention/.test(stdout) ? true : undefined;
      }, 'the order to need a person');
    } finally {
      await workers.stop();
    }
  });
  after(async () => {
    await central?.kill();
    await stack?.close();
    await env?.teardown();
  });

  test('one bad connection in the file: the CLI serves the good ones and warns about the bad one in one line', async () => {
    const entries = (JSON.parse(readFileSync(join(stack.dataDir, 'connections.json'), 'utf8')) as { connections: Record<string, unknown>[] }).connections;
    const file = join(stack.dataDir, 'connections-one-bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        connections: entries.map((entry) => (entry.id === ISYNC_CONNECTION_ID ? { ...entry, endpoint: 'isync.example', pageSize: 0 } : entry)),
      }),
    );
    const withBad = { ...cliEnv, CONNECTIONS_FILE: file };
    central = stack.spawnWorker('central', { LOG_LEVEL: 'INFO' });
    await waitFor(async () => (/Worker Versioning is off/.test(central!.output()) ? true : undefined), 'the central worker to start', 120_000);
    const [status, onBad, listed] = await Promise.all([
      runCliProcess(['order', 'status', OMNI_CONNECTION_ID, 'WEB-ERR-1'], withBad),
      runCliProcess(['order', 'status', ISYNC_CONNECTION_ID, 'WEB-ERR-1'], withBad),
      runCliProcess(['connections'], withBad),
    ]);
    await central.kill();
    central = undefined;
    const warning = `warning: ${file}: Connection ${ISYNC_CONNECTION_ID}: endpoint: must be an http(s) URL; pageSize: must be at least 1 (skipped; the others are served)\n`;
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^acme-omni\/WEB-ERR-1: needs attention: Stock code GHOST-01 not found/);
    assert.equal(status.stderr, warning);
    // A command naming the bad connection says what is wrong with it, not that it is unknown.
    assert.equal(onBad.code, 2);
    assert.equal(
      onBad.stderr,
      `${warning}error: Connection ${ISYNC_CONNECTION_ID} cannot be used: endpoint: must be an http(s) URL; pageSize: must be at least 1 (fix it in ${file})\n`,
    );
    // `schedules` applies the good connections and removes nothing while a connection is bad: it is still configured.
    assert.equal((await runCliProcess(['schedules'], cliEnv)).code, 0);
    const schedules = await runCliProcess(['schedules'], withBad);
    assert.equal(schedules.code, 0, schedules.stderr);
    assert.deepEqual(schedules.stdout.trimEnd().split('\n'), [
      `${OMNI_CONNECTION_ID}: product sync updated, order poll updated`,
      'not removing the schedules of connections no longer configured: 1 connection(s) of the file have mistakes',
    ]);
    await env.client.schedule.getHandle(`product-sync/${ISYNC_CONNECTION_ID}`).describe();
    // `connections` checks the file all or nothing, as before.
    assert.equal(listed.code, 2);
    assert.match(listed.stderr, /1 connection has mistakes/);
  });

  test('an order written under a key the ring no longer holds: status and retry name the key and what to do', async () => {
    const newRing = generateKeyRingText('new');
    const rotated = { ...cliEnv, PAYLOAD_CODEC_KEYS: newRing };
    // The workers and the CLI after a rotation that dropped the old key "test" too early.
    central = stack.spawnWorker('central', { LOG_LEVEL: 'INFO', PAYLOAD_CODEC_KEYS: newRing });
    await waitFor(async () => (/Worker Versioning is off/.test(central!.output()) ? true : undefined), 'the central worker to start', 120_000);
    // One after the other, as an operator types them.
    const status = await runCliProcess(['order', 'status', OMNI_CONNECTION_ID, 'WEB-ERR-1'], rotated);
    const retry = await runCliProcess(['order', 'retry', OMNI_CONNECTION_ID, 'WEB-ERR-1'], rotated);
    // A CLI that lacks even the workers' key cannot read their answer: it says which key that is.
    const keyless = await runCliProcess(['order', 'status', OMNI_CONNECTION_ID, 'WEB-ERR-1'], { ...cliEnv, PAYLOAD_CODEC_KEYS: generateKeyRingText('other') });
    const named =
      'error: The key ring lacks key "test", which encrypted this payload: put key "test" back in PAYLOAD_CODEC_KEYS ' +
      "(or the connection's PAYLOAD_CODEC_KEYS_<ID>), after the current key, for the workers and this CLI, and restart the workers; " +
      "drop an old key only once the namespace's retention has passed since the rotation\n";
    for (const answer of [status, retry]) assert.deepEqual(answer, { code: 1, stdout: '', stderr: named });
    assert.equal(keyless.code, 1);
    assert.match(
      keyless.stderr,
      /^error: Temporal answered with a failure this CLI cannot decrypt: The key ring lacks key "new", which encrypted this payload: put key "new" back/,
    );
  });
});
