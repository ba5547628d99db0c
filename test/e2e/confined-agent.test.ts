/**
 * A confined agent: acme-omni's agent polls its own namespace (`client-acme-omni`) only, and the
 * central workflows reach it through that namespace's Nexus endpoint, each request carrying a grant
 * the central side signed. Its orders are raised and its products pushed that way; a request made by
 * anyone else (another client's namespace, without a grant, with a grant of another key, or with a
 * genuine grant and a document Stock2Shop never sent) raises nothing and is logged as refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time';
import { agentCallWorkflowId, agentPlacement, manualProductSyncWorkflowId, raiseOrderWorkflowId } from '../../domain';
import type { OrderStatus, ProductSyncSummary } from '../../contracts/workflows';
import { engineDataConverter } from '../../temporal/data-converter';
import { EncryptionCodec } from '../../temporal/payload-codec';
import { generateGrantKeys, signGrant, signingKeyFromEnv } from '../../temporal/agent-grant';
import { startDevServer } from '../helpers/temporal';
import { clientKeyRings } from '../helpers/client-keys';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID, startStack, type Stack, type WorkerProcess } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { cliAgainst } from '../helpers/cli';

describe('a confined agent, reached through its namespace’s Nexus endpoint', () => {
  const keys = clientKeyRings();
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let central: WorkerProcess;
  let agent: WorkerProcess;
  let engine: Client;
  const placement = agentPlacement({ id: OMNI_CONNECTION_ID, sourceKind: 'omni', agent: {} })!;

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [
        { STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 },
        { STOCKCODE: 'TOASTER-02', DESCRIPTION: 'Toaster', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 499, OAvailable: 3 },
      ],
      omniConnection: { agent: {} },
    });
    engine = new Client({ connection: env.client.connection, namespace: env.namespace ?? 'default', dataConverter: engineDataConverter(keys.rings) });
    central = stack.spawnWorker('central', keys.centralEnv);
    agent = stack.spawnWorker('agent', keys.agentEnv);
  });
  after(async () => {
    await central?.kill();
    await agent?.kill();
    await stack?.close();
    await env?.teardown();
  });

  const backingRun = (code: string) =>
    new Client({ connection: env.client.connection, namespace: placement.namespace, dataConverter: engineDataConverter(keys.rings) }).workflow.getHandle(
      agentCallWorkflowId('raise', OMNI_CONNECTION_ID, code),
    );

  const settled = (code: string) =>
    waitFor(async () => {
      const status = await engine.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).query<OrderStatus>('status');
      return status.state === 'raised' || status.state === 'needs_attention' ? status : undefined;
    }, `order ${code} to settle`);

  test('an order is raised through the endpoint, in the client’s namespace, once', async () => {
    await stack.placeOrder(makeOrder('WEB-CONF-1', [{ sku: 'KETTLE-01', qty: 2, price: 349.99 }]));
    const status = await settled('WEB-CONF-1');
    assert.equal(status.state, 'raised', JSON.stringify(status));
    assert.equal(stack.omni.orders().length, 1);

    const events = (await engine.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-CONF-1')).fetchHistory()).events ?? [];
    assert.ok(events.some((event) => event.nexusOperationScheduledEventAttributes?.operation === 'raiseInSource'));
    const activityTypes = events.map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    assert.ok(!activityTypes.includes('raiseInSource'), `no raise on a queue of the central namespace: ${activityTypes.join(', ')}`);
    // Answered at once by the agent's handler: no backing run, no workflow task in the client's namespace.
    assert.ok(events.some((event) => event.nexusOperationCompletedEventAttributes));
    assert.ok(!events.some((event) => event.nexusOperationStartedEventAttributes), 'a synchronous answer: the operation never ran asynchronously');
    await assert.rejects(backingRun('WEB-CONF-1').describe(), WorkflowNotFoundError);
  });

  test('a product pass lists and pushes through the endpoint', async () => {
    const summary: ProductSyncSummary = await engine.workflow.execute('productSync', {
      taskQueue: 'central',
      workflowId: manualProductSyncWorkflowId(OMNI_CONNECTION_ID),
      args: [{ connectionId: OMNI_CONNECTION_ID }],
    });
    assert.equal(summary.listed, 2, summary.summary);
    assert.equal(summary.pushed, 2, summary.summary);
  });

  test('clients add: the namespace and endpoint are there, and the agent is given its own secrets only', async () => {
    const cli = cliAgainst(env, stack);
    // The operator's environment: the central side's.
    process.env.AGENT_GRANT_SIGNING_KEY = stack.grantKeys.signingKey;
    const run = await cli('clients', 'add', OMNI_CONNECTION_ID, '--retention-days', '1').finally(() => delete process.env.AGENT_GRANT_SIGNING_KEY);
    assert.equal(run.code, 0, run.lines.join('\n'));
    assert.equal(run.lines[0], `${OMNI_CONNECTION_ID}: namespace client-acme-omni present, endpoint client-acme-omni present`);
    const text = run.lines.join('\n');
    assert.match(text, /^TEMPORAL_NAMESPACE=client-acme-omni$/m);
    assert.ok(run.lines.includes(`AGENT_GRANT_VERIFY_KEY=${stack.grantKeys.verifyKey}`), text);
    assert.match(text, /^PAYLOAD_CODEC_KEYS_ACME_OMNI=acme-omni-\d{8}:/m);
    assert.doesNotMatch(text, /AGENT_GRANT_SIGNING_KEY=|PAYLOAD_CODEC_KEYS=/);
    for (const secret of stack.secretValues) assert.ok(!text.includes(secret), 'no secret value is printed');
    const isync = await cli('clients', 'add', ISYNC_CONNECTION_ID);
    assert.notEqual(isync.code, 0);
    assert.match(isync.lines.join('\n'), /is isync: it has no agent; its calls run on the central workers/);
  });

  test('requests nobody on the central side signed raise nothing, and each is logged as refused', async () => {
    await waitFor(
      async () =>
        (await engine.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-CONF-1')).describe()).status.name === 'COMPLETED' ? true : undefined,
      'the first order to close',
    );
    // The genuine request of the first order, as acme's own history holds it.
    const history = await engine.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'WEB-CONF-1')).fetchHistory();
    const scheduled = history.events!.find((event) => event.nexusOperationScheduledEventAttributes)!.nexusOperationScheduledEventAttributes!;
    const [genuine] = await new EncryptionCodec(keys.rings).decode([scheduled.input!]);
    const request = defaultPayloadConverter.fromPayload<{
      grant: string;
      call: { document: { lines?: unknown[] } & Record<string, unknown> } & Record<string, unknown>;
    }>(genuine!);
    const forgedCall = { ...request.call, channelOrderCode: 'WEB-FORGED-1', document: { ...request.call.document, reference: 'WEB-FORGED-1' } };
    const otherKey = signingKeyFromEnv({ AGENT_GRANT_SIGNING_KEY: generateGrantKeys().signingKey })!;

    await env.connection.workflowService.registerNamespace({ namespace: 'client-rogue', workflowExecutionRetentionPeriod: msToTs(86_400_000) });
    // The rogue holds acme's ring, as acme's own machine would: the codec is not what stops it.
    const rogueConverter = engineDataConverter({ byConnection: new Map([[OMNI_CONNECTION_ID, keys.rings.byConnection.get(OMNI_CONNECTION_ID)!]]) });
    const rogue = await Worker.create({
      connection: env.nativeConnection,
      namespace: 'client-rogue',
      taskQueue: 'rogue',
      workflowsPath: require.resolve('../fixtures/rogue-nexus'),
      dataConverter: rogueConverter,
    });
    const rogueClient = new Client({ connection: env.client.connection, namespace: 'client-rogue', dataConverter: rogueConverter });
    const attempts: [string, unknown][] = [
      ['no grant', { call: forgedCall }],
      [
        'a grant of another key',
        {
          grant: signGrant(otherKey, { connectionId: OMNI_CONNECTION_ID, operation: 'raise', orderCode: 'WEB-FORGED-1', document: forgedCall.document }),
          call: forgedCall,
        },
      ],
      ['a genuine grant, another document', { grant: request.grant, call: { ...request.call, document: { ...request.call.document, lines: [] } } }],
      ['a catalog grant for a raise', { grant: signGrant(otherKey, { connectionId: OMNI_CONNECTION_ID, operation: 'catalog' }), call: forgedCall }],
    ];
    const answers = await rogue.runUntil(
      Promise.all(
        attempts.map(([, input], index) =>
          rogueClient.workflow.execute('rogueRaise', {
            taskQueue: 'rogue',
            // Named as acme's, so its payloads take acme's ring.
            workflowId: `rogue/${OMNI_CONNECTION_ID}/${index}`,
            args: [placement.endpoint, input],
          }),
        ),
      ),
    );
    answers.forEach((answer, index) => assert.match(String(answer), /^failed: .*Refused/, `${attempts[index]![0]}: ${String(answer)}\n${agent.output()}`));
    assert.equal(stack.omni.orders().length, 1, 'nothing more was raised in Omni');
    await waitFor(
      async () => ((agent.output().match(/security: refused a raiseInSource request/g) ?? []).length >= attempts.length ? true : undefined),
      'the refusals to be logged',
    );
    assert.match(agent.output(), /its grant was not made by the central side for this request/);
  });

  test('a raise Omni answers slowly: a create sent is waited for and reported as created; past the budget the raise goes on in its backing run, once', async () => {
    const before = stack.omni.orders().length;
    try {
      // Each call 2 s: the create goes out before the quick raise's 3 s and answers before its 7 s.
      await stack.omni.setFaults({ latencyMs: 2000 });
      await stack.placeOrder(makeOrder('WEB-CONF-SLOW-1', [{ sku: 'KETTLE-01', qty: 1, price: 349.99 }]));
      const answered = await settled('WEB-CONF-SLOW-1');
      assert.equal(answered.state, 'raised', JSON.stringify(answered));
      assert.equal(answered.alreadyExisted, false, 'created by this raise, and said so');
      await assert.rejects(backingRun('WEB-CONF-SLOW-1').describe(), WorkflowNotFoundError);
      // Each call 4 s: no create by 3 s, so nothing is sent by the handler and its backing run raises it.
      await stack.omni.setFaults({ latencyMs: 4000 });
      await stack.placeOrder(makeOrder('WEB-CONF-SLOW-2', [{ sku: 'TOASTER-02', qty: 1, price: 499 }]));
      const backed = await settled('WEB-CONF-SLOW-2');
      assert.equal(backed.state, 'raised', JSON.stringify(backed));
      assert.equal(backed.alreadyExisted, false);
      assert.equal((await backingRun('WEB-CONF-SLOW-2').describe()).status.name, 'COMPLETED');
    } finally {
      await stack.omni.setFaults({ latencyMs: 0 });
    }
    assert.equal(stack.omni.orders().length, before + 2, 'each order once in Omni');
    assert.match(
      agent.output(),
      /the raise of order WEB-CONF-SLOW-2 of connection acme-omni goes on in its backing run: no answer from Omni Accounts within 3000 ms/,
    );
    assert.doesNotMatch(agent.output(), /the raise of order WEB-CONF-SLOW-1 /);
  });

  test('a raise that needs a person, answered at once, tells the order the source’s own reason', async () => {
    await stack.placeOrder(makeOrder('WEB-CONF-NOPE', [{ sku: 'NOT-IN-OMNI-9', qty: 1, price: 10 }]));
    const status = await settled('WEB-CONF-NOPE');
    assert.equal(status.state, 'needs_attention', JSON.stringify(status));
    assert.match(status.reason ?? '', /NOT-IN-OMNI-9/);
    assert.doesNotMatch(status.reason ?? '', /Refused|OperationError|endpoint/);
    await assert.rejects(backingRun('WEB-CONF-NOPE').describe(), WorkflowNotFoundError);
  });
});
