/**
 * A key ring per client. The central worker holds the central ring and every connection's
 * (`PAYLOAD_CODEC_KEYS_<CONNECTION_ID>`); the Omni agent of acme-omni holds acme-omni's ring only. Both
 * clients' orders are raised; then, with nothing but what the agent holds:
 *  - acme-omni's own histories decode (its payloads are encrypted with its ring);
 *  - not one payload of bravo-isync's histories does, nor of the central workflows'.
 * The workers run as their own processes, with exactly these environments.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { raiseOrderWorkflowId } from '../../domain';
import type { OrderStatus } from '../../contracts/workflows';
import { isRefusedPayload } from '../../contracts/refused-payload';
import { engineDataConverter } from '../../temporal/data-converter';
import { deliverOrder } from '../../temporal/deliver-order';
import { EncryptionCodec, parseKeyRing } from '../../temporal/payload-codec';
import { startDevServer } from '../helpers/temporal';
import { clientKeyRings } from '../helpers/client-keys';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { collectPayloads } from '../helpers/history-reading';

describe('a key ring per client', () => {
  const keys = clientKeyRings();
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let central: WorkerProcess;
  let agent: WorkerProcess;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    });
    central = stack.spawnWorker('central', keys.centralEnv);
    agent = stack.spawnWorker('agent', keys.agentEnv);
  });
  after(async () => {
    await central?.kill();
    await agent?.kill();
    await stack?.close();
    await env?.teardown();
  });

  test("both clients' orders are raised, and the agent's keys open its own client's histories only", async () => {
    const { rings } = keys;
    const everyRing = new EncryptionCodec(rings);
    // Delivered as the intake does, which is of the central side and holds every ring.
    const intake = new Client({ connection: env.client.connection, namespace: env.namespace ?? 'default', dataConverter: engineDataConverter(rings) });
    const isyncSku = stack.isync.catalog()[0]!.SKU as string;
    for (const [connectionId, sourceId, code, sku, price] of [
      [OMNI_CONNECTION_ID, 101, 'WEB-KEY-A', 'KETTLE-01', 349.99],
      [ISYNC_CONNECTION_ID, 202, 'WEB-KEY-B', isyncSku, 10],
    ] as const) {
      void stack.stock2shop.addOrder({ ...makeOrder(code, [{ sku, qty: 1, price }]), sources: [{ source_id: sourceId }] });
      await deliverOrder(
        intake,
        stack.connections.find((c) => c.id === connectionId)!,
        code,
        { via: 'webhook' },
      );
    }
    const stateOf = async (connectionId: string, code: string) => {
      const history = await env.client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code)).fetchHistory();
      const completed = history.events?.find((event) => event.workflowExecutionCompletedEventAttributes);
      const result = completed?.workflowExecutionCompletedEventAttributes?.result?.payloads ?? [];
      return result.length ? (defaultPayloadConverter.fromPayload((await everyRing.decode(result))[0]!) as OrderStatus).state : undefined;
    };
    for (const [connectionId, code] of [
      [OMNI_CONNECTION_ID, 'WEB-KEY-A'],
      [ISYNC_CONNECTION_ID, 'WEB-KEY-B'],
    ] as const) {
      assert.equal(await waitFor(() => stateOf(connectionId, code), `order ${code} to be raised`), 'raised');
    }
    assert.equal(stack.omni.orders().length, 1);

    const reports: string[] = [];
    const agentKeys = new EncryptionCodec({ byConnection: new Map([[OMNI_CONNECTION_ID, parseKeyRing(keys.acme)]]) }, (sentence) => reports.push(sentence));
    const decodedBy = async (workflowId: string) => {
      const payloads = collectPayloads(await env.client.workflow.getHandle(workflowId).fetchHistory());
      const decoded = await agentKeys.decode(payloads);
      return { payloads: payloads.length, opened: decoded.filter((payload) => !isRefusedPayload(defaultPayloadConverter.fromPayload(payload))).length };
    };
    const own = await decodedBy(raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-KEY-A'));
    assert.ok(own.payloads > 5);
    assert.equal(own.opened, own.payloads, reports.join('\n'));
    const other = await decodedBy(raiseOrderWorkflowId(ISYNC_CONNECTION_ID, 'WEB-KEY-B'));
    assert.ok(other.payloads > 5);
    assert.equal(other.opened, 0, "not one payload of the other client's order");
    assert.ok(reports.every((line) => /encrypted for connection bravo-isync, whose keys this process does not hold/.test(line)));
    assert.doesNotMatch(agent.output(), /refused a payload/);
    assert.doesNotMatch(central.output(), /refused a payload/);
  });
});
