/**
 * Personal data and secrets stay out of Temporal and out of the logs. A full run — both syncs, orders
 * raised through the signed webhook, one needing a person then retried, one refused by validation —
 * on a dev server with its own SQLite file and the workers as their own processes; then:
 *  - the SQLite file's bytes hold none of the orders' names, emails, phone numbers or address lines;
 *  - every history of the run, fetched and decoded with the payload codec, holds none of the secrets;
 *  - the workers' and the intake's log lines hold none of the secrets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { IntakeServer } from '../../client/intake';
import { CENTRAL_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import { retryUpdate, type OrderStatus } from '../../contracts/workflows';
import { EncryptionCodec, parseKeyRing } from '../../temporal/payload-codec';
import { formatLogLine } from '../../worker/log-line';
import { startDevServer, TEST_KEY_RING_TEXT } from '../helpers/temporal';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, WEBHOOK_SECRETS, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { collectPayloads } from '../helpers/history-reading';
import { callWebhook, orderNotification, orderWebhookUrl, startSignedIntake } from '../helpers/webhook';

/** Everything personal in `makeOrder`'s orders. */
const PERSONAL_DATA = ['Thandi', 'Nkosi', 'thandi@example.co.za', '+27 21 555 0101', '12 Loop Street', 'Unit 4'];

describe('personal data and secrets at rest', () => {
  const folder = mkdtempSync(join(tmpdir(), 's2s-pii-'));
  const dbFile = join(folder, 'temporal.sqlite');
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let intake: IntakeServer;
  let central: WorkerProcess;
  let agent: WorkerProcess;
  const intakeLog: string[] = [];

  before(async () => {
    env = await startDevServer({ dbFilename: dbFile });
    stack = await startStack(env, {
      omniItems: [
        { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 },
        { STOCKCODE: 'SHIP', DESCRIPTION: 'Courier', EXTRADTLS8: 'IGNORE', SELLINGPRICE1: 0, OAvailable: 0 },
      ],
    });
    central = stack.spawnWorker('central', { LOG_LEVEL: 'INFO' });
    agent = stack.spawnWorker('agent', { LOG_LEVEL: 'INFO' });
    intake = await startSignedIntake(env.client, stack, {
      log: ({ level, event, ...fields }) => intakeLog.push(formatLogLine({ level, component: 'intake', message: event, ...fields }, stack.secretValues)),
    });
  });
  after(async () => {
    await intake?.close();
    await central?.kill();
    await agent?.kill();
    await stack?.close();
    await env?.teardown();
  });

  const handleOf = (connectionId: string, code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code));

  async function announce(connectionId: string, sourceId: number, order: ReturnType<typeof makeOrder>): Promise<void> {
    // (an order as Stock2Shop holds it, valid or not)
    void stack.stock2shop.addOrder({ ...order, sources: [{ source_id: sourceId }] });
    const answer = await callWebhook(orderWebhookUrl(intake.url, sourceId), {
      body: orderNotification(sourceId, order),
      secret: WEBHOOK_SECRETS[connectionId as keyof typeof WEBHOOK_SECRETS],
    });
    assert.equal(answer.status, 202);
  }

  test('a full run leaves no personal data in the database and no secret in history or logs', async () => {
    for (const connectionId of [OMNI_CONNECTION_ID, ISYNC_CONNECTION_ID]) {
      await env.client.workflow.execute('productSync', {
        taskQueue: CENTRAL_TASK_QUEUE,
        workflowId: `product-sync/${connectionId}/pii`,
        args: [{ connectionId }],
      });
    }
    const isyncSku = stack.isync.catalog()[0]!.SKU as string;
    await announce(OMNI_CONNECTION_ID, 101, makeOrder('PII-1', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }], { shipping: 60 }));
    await announce(ISYNC_CONNECTION_ID, 202, makeOrder('PII-2', [{ sku: isyncSku, qty: 2, price: 120 }], { shipping: 75 }));
    await announce(OMNI_CONNECTION_ID, 101, makeOrder('PII-3', [{ sku: 'FAN-77', qty: 1, price: 10 }]));
    const fractional = makeOrder('PII-4', [{ sku: 'KETTLE-01', qty: 1, price: 10 }]);
    await announce(OMNI_CONNECTION_ID, 101, { ...fractional, line_items: [{ ...fractional.line_items[0]!, qty: 1.5 }] });

    assert.equal(((await handleOf(OMNI_CONNECTION_ID, 'PII-1').result()) as OrderStatus).state, 'raised');
    assert.equal(((await handleOf(ISYNC_CONNECTION_ID, 'PII-2').result()) as OrderStatus).state, 'raised');
    await waitFor(async () => (stack.stock2shop.order('PII-3').failure_reason ? true : undefined), 'PII-3 to need attention');
    await waitFor(async () => (stack.stock2shop.order('PII-4').failure_reason ? true : undefined), 'PII-4 to be refused');
    assert.match(stack.stock2shop.order('PII-4').failure_reason!, /^Order PII-4: line_items\[0\]\.qty: must be a whole number/);
    stack.omni.addItem({ STOCKCODE: 'FAN-77', DESCRIPTION: 'Fan', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 10, OAvailable: 3 });
    await handleOf(OMNI_CONNECTION_ID, 'PII-3').executeUpdate(retryUpdate);
    assert.equal(((await handleOf(OMNI_CONNECTION_ID, 'PII-3').result()) as OrderStatus).state, 'raised');
    // The source got the personal data: it is the customer's order.
    assert.match(JSON.stringify(stack.isync.orders()), /12 Loop Street/);

    // 1. The database's bytes.
    const files = [dbFile, `${dbFile}-wal`].filter((file) => existsSync(file));
    const bytes = Buffer.concat(files.map((file) => readFileSync(file)));
    assert.ok(bytes.includes('raise-order/acme-omni/PII-1'), 'the database holds the run (workflow ids are plain)');
    for (const personal of PERSONAL_DATA) assert.equal(bytes.includes(personal), false, `the database holds '${personal}'`);

    // 2. Every history, fetched and decoded.
    const codec = new EncryptionCodec(parseKeyRing(TEST_KEY_RING_TEXT));
    let decodedText = '';
    let histories = 0;
    for await (const execution of env.client.workflow.list()) {
      const history = await env.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      histories += 1;
      const payloads = collectPayloads(history);
      const decoded = await codec.decode(payloads);
      decodedText += JSON.stringify(history) + decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    }
    assert.ok(histories >= 6, `histories of the run (${histories})`);
    assert.match(decodedText, /PII-3/, 'the decoded histories are readable');
    for (const secret of stack.secretValues) assert.equal(decodedText.includes(secret), false, 'a secret in a history');

    // 3. The logs.
    const logs = central.output() + agent.output() + intakeLog.join('');
    assert.match(logs, /"component":"central"/, 'the central worker logged');
    assert.match(logs, /order_delivered/, 'the intake logged');
    for (const secret of stack.secretValues) assert.equal(logs.includes(secret), false, 'a secret in a log line');
    assert.doesNotMatch(logs, /taskToken/);
  });
});
