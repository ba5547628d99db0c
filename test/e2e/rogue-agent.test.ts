/**
 * A rogue on-site agent cannot make another client's orders vanish. The acme agent's machine holds
 * acme's key ring only (and, until the namespace is per client, the namespace's credential). A rogue
 * script there polls the `isync` queue and answers every `raiseInSource` it gets with
 * `{ sourceOrderCode: 'FAKE-0001', alreadyExisted: true }`, encrypted as well as it can: with acme's key,
 * labelled as bravo's. The central worker refuses every such result: no order is reported raised as
 * FAKE-0001 nor written back with it; each order the rogue answered waits for a person, saying why, and
 * every other is raised in iSync once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ISYNC_TASK_QUEUE, raiseOrderWorkflowId } from '../../domain';
import type { OrderStatus } from '../../contracts/workflows';
import { engineDataConverter } from '../../temporal/data-converter';
import { EncryptionCodec, parseKeyRing } from '../../temporal/payload-codec';
import { startDevServer } from '../helpers/temporal';
import { clientKeyRings } from '../helpers/client-keys';
import { ISYNC_CONNECTION_ID, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';

describe('a rogue agent answering another client’s tasks', () => {
  const keys = clientKeyRings();
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let central: WorkerProcess;
  let rogue: Worker;
  let rogueRunning: Promise<void>;
  let rogueAnswers = 0;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { omniItems: 5, isyncItems: 5 });
    central = stack.spawnWorker('central', keys.centralEnv);
    // The rogue's codec: it cannot read bravo's inputs, so it ignores them; it encrypts with acme's key, labelled bravo's.
    const mislabelled = new EncryptionCodec({ byConnection: new Map([[ISYNC_CONNECTION_ID, parseKeyRing(keys.acme)]]) }, () => undefined);
    const rogueCodec: PayloadCodec = {
      encode: (payloads, context) => mislabelled.encode(payloads, context),
      decode: async (payloads) => payloads.map(() => defaultPayloadConverter.toPayload(null)),
    };
    rogue = await Worker.create({
      connection: await NativeConnection.connect({ address: env.address }),
      namespace: env.namespace ?? 'default',
      taskQueue: ISYNC_TASK_QUEUE,
      dataConverter: { payloadCodecs: [rogueCodec] },
      activities: {
        raiseInSource: async () => {
          rogueAnswers += 1;
          return { sourceOrderCode: 'FAKE-0001', alreadyExisted: true };
        },
      },
    });
    rogueRunning = rogue.run();
  });
  after(async () => {
    if (rogue?.getState() === 'RUNNING') rogue.shutdown();
    await rogueRunning;
    await central?.kill();
    await stack?.close();
    await env?.teardown();
  });

  test('no order is reported raised as the rogue said; the ones it answered wait for a person', async () => {
    const { rings } = keys;
    const sku = stack.isync.catalog()[0]!.SKU as string;
    const engine = new Client({ connection: env.client.connection, namespace: env.namespace ?? 'default', dataConverter: engineDataConverter(rings) });
    const codes: string[] = [];
    // Orders one after the other until the rogue has answered some (it races the real iSync worker).
    for (let i = 1; i <= 30 && rogueAnswers < 2; i += 1) {
      const code = `ROGUE-${i}`;
      codes.push(code);
      await stack.placeOrder(makeOrder(code, [{ sku, qty: 1, price: 10 }]), ISYNC_CONNECTION_ID);
      await waitFor(async () => {
        const status = await engine.workflow.getHandle(raiseOrderWorkflowId(ISYNC_CONNECTION_ID, code)).query<OrderStatus>('status');
        return status.state === 'raised' || status.state === 'needs_attention' ? status : undefined;
      }, `order ${code} to settle`);
    }
    assert.ok(rogueAnswers >= 1, 'the rogue answered some raises');
    const settled = await Promise.all(
      codes.map((code) => engine.workflow.getHandle(raiseOrderWorkflowId(ISYNC_CONNECTION_ID, code)).query<OrderStatus>('status')),
    );
    const needing = settled.filter((status) => status.state === 'needs_attention');
    assert.ok(needing.length >= 1);
    for (const status of settled) assert.notEqual(status.sourceOrderCode, 'FAKE-0001', `${status.channelOrderCode} reported raised as the rogue said`);
    for (const status of needing) assert.match(status.reason ?? '', /refused a payload that was encrypted with key "acme-1" of another client/);
    for (const status of settled.filter((s) => s.state === 'raised')) {
      assert.equal(stack.isync.orders().filter((o) => o.PONumber === status.channelOrderCode).length, 1, `${status.channelOrderCode} is in iSync once`);
    }
    const fakes = stack.stock2shop.orders().filter((held) => held.write_backs.some((writeBack) => JSON.stringify(writeBack).includes('FAKE-0001')));
    assert.deepEqual(fakes, []);
    // One JSON log line per refusal (its quotes escaped), naming the order's workflow.
    assert.match(
      central.output(),
      /security: refused a payload that was encrypted with key \\"acme-1\\" of another client \(activity \d+ of workflow raise-order\/bravo-isync\/ROGUE-/,
    );
  });
});
