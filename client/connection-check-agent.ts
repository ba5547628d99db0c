/**
 * The agent's side of `connections check`: is the worker that runs the connection's source calls
 * polling its queue (Temporal's DescribeTaskQueue: an Omni connection's agent on `omni/<id>`, in its
 * client's namespace when confined; the central workers on `isync`)? And, for an Omni source this
 * machine does not reach, the agent's own probe (`probeSource`, run as the confined agent runs every
 * request of the central side: `agentSourceCall` in its namespace).
 */
import { Client, isGrpcServiceError } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { agentCallWorkflowId, agentPlacement, connectionTaskQueue, type Connection } from '../domain';
import type { AgentSourceCallInput } from '../contracts/agent-service';
import { PROBE_CALL_OPTIONS } from '../workflows/source-call-options';
import { fail, pass, skipped, type CheckLine } from './connection-check-lines';
import type { AgentProbe } from './connection-check-source';

/** A poller seen this recently is polling (a long poll lasts about a minute). */
const ALIVE_MS = 2 * 60_000;
const PROBE_WAIT_MS = 45_000;
const NOT_FOUND = 5;
const REFUSED = new Set([7, 16]);

const ago = (ms: number) => (ms < 90_000 ? `${Math.round(ms / 1000)} s ago` : `${Math.round(ms / 60_000)} min ago`);

export async function checkAgent(client: Client, connection: Connection): Promise<CheckLine> {
  const placement = agentPlacement(connection);
  const namespace = placement?.namespace ?? client.options.namespace;
  const taskQueue = connectionTaskQueue(connection);
  const name = connection.sourceKind === 'omni' ? 'agent' : 'iSync workers';
  const where = `${taskQueue} in namespace ${namespace}`;
  let pollers: temporal.api.taskqueue.v1.IPollerInfo[];
  try {
    const answer = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    pollers = answer.pollers ?? [];
  } catch (error) {
    if (isGrpcServiceError(error) && REFUSED.has(error.code)) {
      return skipped(
        name,
        `not checked: this CLI's Temporal credential does not reach namespace ${namespace} (${error.details})`,
        `check there: temporal task-queue describe --namespace ${namespace} --task-queue ${taskQueue} --task-queue-type activity`,
      );
    }
    if (isGrpcServiceError(error) && error.code === NOT_FOUND && placement) {
      return fail(name, `namespace ${namespace} does not exist`, `npm run cli -- clients add ${connection.id}`);
    }
    return fail(name, `Temporal did not describe ${where}: ${(error as Error).message}`, "check TEMPORAL_ADDRESS and this CLI's credential");
  }
  const now = Date.now();
  const latest = pollers
    .map((poller) => ({ identity: poller.identity ?? '?', at: poller.lastAccessTime ? tsToMs(poller.lastAccessTime) : 0 }))
    .sort((a, b) => b.at - a.at)[0];
  const start =
    connection.sourceKind === 'omni'
      ? `start it on the client's server: node --import tsx worker/agent.ts ${connection.id}`
      : 'start the central worker: node --require ./worker/workflow-threads.cjs --import tsx worker/central.ts';
  if (!latest) return fail(name, `nothing polls ${where}`, start);
  if (now - latest.at > ALIVE_MS) return fail(name, `nothing has polled ${where} since ${ago(now - latest.at)} (${latest.identity})`, start);
  return pass(name, `${where} polled ${ago(now - latest.at)} by ${latest.identity}`);
}

/**
 * The agent's probe of its source, for a confined Omni connection: `probeSource` run by the agent in
 * its namespace (joining a probe already under way). Undefined for a connection whose agent runs no
 * workflow of its own (an agent in the central namespace), which the CLI cannot ask.
 */
export function probeThroughAgent(client: Client, connection: Connection, whyNotHere: string): ReturnType<AgentProbe> {
  const placement = agentPlacement(connection);
  const cannot = (why: string, todo: string) => skipped('source answers', `this machine does not reach it (${whyNotHere}), ${why}`, todo);
  const onAgent = `run \`npm run cli -- connections check ${connection.id}\` on the agent's machine`;
  if (!placement) return Promise.resolve(cannot('and its agent, in the central namespace, runs no probe the CLI can ask for', onAgent));
  const inNamespace = new Client({ connection: client.connection, namespace: placement.namespace, dataConverter: client.options.loadedDataConverter });
  const input: AgentSourceCallInput = { activity: 'probeSource', args: [connection.id], options: PROBE_CALL_OPTIONS };
  const probe = inNamespace.workflow
    .start('agentSourceCall', {
      taskQueue: placement.taskQueue,
      workflowId: agentCallWorkflowId('probe', connection.id),
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowExecutionTimeout: '2 minutes',
    })
    .then((handle) => handle.result() as Promise<boolean>);
  const late = new Promise<CheckLine>((resolve) =>
    setTimeout(() => resolve(cannot(`and its agent did not answer within ${PROBE_WAIT_MS / 1000} s`, 'see the agent check below')), PROBE_WAIT_MS).unref(),
  );
  return Promise.race([
    probe.catch((error: Error) =>
      isGrpcServiceError(error.cause) && REFUSED.has(error.cause.code)
        ? cannot(`and this CLI's Temporal credential does not reach namespace ${placement.namespace} to ask its agent`, onAgent)
        : cannot(`and its agent could not be asked (${error.message})`, onAgent),
    ),
    late,
  ]);
}
