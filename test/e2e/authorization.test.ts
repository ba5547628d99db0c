/**
 * What an agent's Temporal credential reaches, on the real Temporal server with its default JWT
 * authorizer (the dev server has no authorization at all): a namespace per client, and an agent token
 * that holds `client-a:write` only. In its own namespace it does its own client's business; in the
 * central namespace and in client B's, every call is refused (permission denied) — list, describe,
 * history, polling B's queue, start, signal, terminate, completing one of B's tasks with a fake result,
 * starting a worker — and nothing of B or of the central namespace changes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startAuthorizedServer, type AuthorizedServer } from '../helpers/authorized-server';

const NAMESPACES = ['central', 'client-a', 'client-b'];
/** gRPC status codes. */
const grpcStatus = { NOT_FOUND: 5, PERMISSION_DENIED: 7 } as const;

describe('an agent credential on a server that enforces authorization', () => {
  let server: AuthorizedServer;
  let agentA: Connection;
  const started: Record<string, { workflowId: string; runId: string }> = {};

  before(async () => {
    server = await startAuthorizedServer(NAMESPACES);
    // A workflow each in the central namespace and in client B's, started with their own tokens (no worker: it just waits).
    for (const [namespace, permission] of [
      ['central', 'central:write'],
      ['client-b', 'client-b:write'],
    ] as const) {
      const owner = await server.connect(server.mint([permission]));
      const workflowId = `raise-order/${namespace}/WEB-1`;
      const start = () =>
        owner.workflowService.startWorkflowExecution({
          namespace,
          workflowId,
          workflowType: { name: 'raiseOrder' },
          taskQueue: { name: namespace === 'central' ? 'central' : 'omni/bravo-omni' },
          requestId: randomUUID(),
        });
      // A namespace just registered reaches the frontend's cache within seconds.
      const { runId } = await retryWhileNamespaceIsNew(start);
      started[namespace] = { workflowId, runId: runId ?? '' };
      await owner.close();
    }
    agentA = await server.connect(server.mint(['client-a:write'], 'agent-a'));
  });
  after(async () => {
    await agentA?.close();
    await server?.stop();
  });

  test('in its own namespace the agent lists and starts workflows', async () => {
    const listed = await retryWhileNamespaceIsNew(() => agentA.workflowService.listWorkflowExecutions({ namespace: 'client-a', pageSize: 10 }));
    assert.deepEqual(listed.executions, []);
    const own = await agentA.workflowService.startWorkflowExecution({
      namespace: 'client-a',
      workflowId: 'own-business',
      workflowType: { name: 'anything' },
      taskQueue: { name: 'omni/acme-omni' },
      requestId: randomUUID(),
    });
    assert.ok(own.runId);
  });

  for (const namespace of ['central', 'client-b']) {
    test(`in ${namespace}, every call of the agent is refused and nothing changes`, async () => {
      const execution = started[namespace]!;
      const service = agentA.workflowService;
      const fakeResult = { payloads: [defaultPayloadConverter.toPayload({ sourceOrderCode: 'FAKE-0001', alreadyExisted: true })] };
      const attempts: Record<string, () => Promise<unknown>> = {
        list: () => service.listWorkflowExecutions({ namespace, pageSize: 10 }),
        describe: () => service.describeWorkflowExecution({ namespace, execution }),
        history: () => service.getWorkflowExecutionHistory({ namespace, execution }),
        poll: () => service.pollActivityTaskQueue({ namespace, taskQueue: { name: 'omni/bravo-omni' }, identity: 'agent-a' }),
        start: () =>
          service.startWorkflowExecution({
            namespace,
            workflowId: 'rogue',
            workflowType: { name: 'raiseOrder' },
            taskQueue: { name: 'central' },
            requestId: randomUUID(),
          }),
        signal: () => service.signalWorkflowExecution({ namespace, workflowExecution: execution, signalName: 'orderDelivered', requestId: randomUUID() }),
        terminate: () => service.terminateWorkflowExecution({ namespace, workflowExecution: execution, reason: 'rogue' }),
        'complete a task': () =>
          service.respondActivityTaskCompletedById({
            namespace,
            workflowId: execution.workflowId,
            runId: execution.runId,
            activityId: '1',
            result: fakeResult,
          }),
      };
      for (const [what, attempt] of Object.entries(attempts)) {
        await assert.rejects(attempt(), (error: { code?: number; message?: string }) => error.code === grpcStatus.PERMISSION_DENIED, `${what} in ${namespace}`);
      }
      const nativeA = await NativeConnection.connect({ address: server.address, apiKey: server.mint(['client-a:write'], 'agent-a'), tls: false });
      try {
        await assert.rejects(
          Worker.create({
            connection: nativeA,
            namespace,
            taskQueue: 'omni/bravo-omni',
            activities: { raiseInSource: async () => ({ sourceOrderCode: 'FAKE-0001' }) },
          }),
          /unauthorized|permission/i,
          `a worker in ${namespace}`,
        );
      } finally {
        await nativeA.close();
      }
      // Its owner sees it as it was: running, its history only the start.
      const owner = await server.connect(server.mint([`${namespace}:read`]));
      const described = await owner.workflowService.describeWorkflowExecution({ namespace, execution });
      assert.equal(described.workflowExecutionInfo?.status, 1, 'still running');
      const history = await owner.workflowService.getWorkflowExecutionHistory({ namespace, execution });
      assert.deepEqual(
        history.history?.events?.map((event) => event.eventType),
        [1, 5],
        'started and its first workflow task scheduled, nothing more',
      );
      await owner.close();
    });
  }
});

async function retryWhileNamespaceIsNew<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if ((error as { code?: number }).code !== grpcStatus.NOT_FOUND || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
