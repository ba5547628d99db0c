/**
 * The two kinds of worker:
 *  - the central worker (task queue `central`): every workflow, and the activities of cloud systems
 *    (iSync, Stock2Shop, the order poll);
 *  - the agent worker of one Omni Accounts connection (task queue `omni/<connectionId>`), installed
 *    beside Omni on the client's server: it only dials out to Temporal, and while it is off, that
 *    connection's tasks wait in their queue.
 */
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { CENTRAL_TASK_QUEUE, connectionTaskQueue } from '../domain';
import { createActivities, type ActivityDeps } from '../activities';
import { cachedWorkflowBundle } from './workflow-bundle';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace?: string;
  deps: ActivityDeps;
  /** The payload codec and failure converter (`engineDataConverter`): the same for every client and worker. */
  dataConverter: DataConverter;
}

const workflowsPath = require.resolve('../workflows');

export async function createCentralWorker({ connection, namespace, deps, dataConverter }: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: namespace ?? 'default',
    taskQueue: CENTRAL_TASK_QUEUE,
    dataConverter,
    workflowBundle: await cachedWorkflowBundle(workflowsPath, dataConverter.failureConverterPath),
    activities: createActivities(deps),
  });
}

/** Activity slots: the connection's guard keeps the source's own limits; slots only bound waiting tasks. */
const AGENT_ACTIVITY_SLOTS = 20;

export async function createAgentWorker({ connection, namespace, deps, dataConverter }: WorkerSetup, connectionId: string): Promise<Worker> {
  const configured = deps.connections().find((c) => c.id === connectionId);
  if (!configured) throw new Error(`No connection '${connectionId}' in the configuration`);
  if (configured.sourceKind !== 'omni') throw new Error(`Connection '${connectionId}' is ${configured.sourceKind}: only Omni Accounts connections run an agent`);
  return Worker.create({
    connection,
    namespace: namespace ?? 'default',
    taskQueue: connectionTaskQueue(configured),
    dataConverter,
    activities: createActivities(deps),
    maxConcurrentActivityTaskExecutions: AGENT_ACTIVITY_SLOTS,
  });
}
