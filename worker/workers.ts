/**
 * The kinds of worker:
 *  - the central worker (task queue `central`): every workflow, and the Stock2Shop and engine
 *    activities (the order poll, write-backs, the source watch's bookkeeping);
 *  - the iSync worker (task queue `isync`), in the same process and version as the central worker:
 *    iSync's calls, in slots of their own;
 *  - the agent worker of one Omni Accounts connection (task queue `omni/<connectionId>`), installed
 *    beside Omni on the client's server: it only dials out to Temporal, and while it is off, that
 *    connection's tasks wait in their queue.
 */
import type { KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { agentPlacement, agentRefusal, CENTRAL_TASK_QUEUE, connectionTaskQueue, ISYNC_TASK_QUEUE } from '../domain';
import { GRANT_VERIFY_KEY_VARIABLE } from '../temporal/agent-grant';
import { agentEndpointHandler } from './agent-operations';
import { createActivities, createAgentCalls, type ActivityDeps } from '../activities';
import { activityInterceptors } from '../activities/interceptors';
import { installedTracing, workerTracing } from './tracing';
import { cachedWorkflowBundle, engineBuildId, type WorkflowBundle } from './workflow-bundle';
import type { DeploymentVersion, WorkerDeployment } from './deployment';
import { DEFAULT_SIZING, type WorkerSizing } from './sizing';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace?: string;
  deps: ActivityDeps;
  /** The payload codec and failure converter (`engineDataConverter`): the same for every client and worker. */
  dataConverter: DataConverter;
  /** Worker Versioning: the deployment this worker is a version of (its build id: `engineBuildId`). Unset: unversioned. */
  deployment?: WorkerDeployment;
  /** On shutdown, how long in-flight activities may run on before they are cancelled and handed back (default 0). */
  shutdownGraceSeconds?: number;
  /** The workflow code to run (versioned or not, like the worker); default: this checkout's workflows, bundled (and cached). */
  workflowBundle?: WorkflowBundle;
  /** Slots and cache sizes (`sizingFromEnv`); default `DEFAULT_SIZING`. */
  sizing?: WorkerSizing;
}

/** The workflows; a versioned worker's entry adds each type's versioning behaviour. */
const workflowEntries = { unversioned: require.resolve('../workflows'), versioned: require.resolve('../workflows/versioned') };

/** This checkout's workflow bundle, as the central worker runs it: its build id is the version a deployment gets. */
export function engineWorkflowBundle(dataConverter: DataConverter, { versioned }: { versioned: boolean }): Promise<WorkflowBundle> {
  // The workflows' own spans only where this process exports traces (worker/tracing.ts).
  return cachedWorkflowBundle(workflowEntries[versioned ? 'versioned' : 'unversioned'], dataConverter.failureConverterPath, {
    traced: installedTracing() !== undefined,
  });
}

/** The code an activity worker runs besides the workflow bundle: its activities and the payload codec. */
const activityEntries = [require.resolve('../activities'), require.resolve('../temporal/data-converter')];

/** The version `setup`'s workers poll as: the deployment, and a build id covering workflow and activity code. */
function versionOf(setup: WorkerSetup, bundle: WorkflowBundle): DeploymentVersion | undefined {
  return setup.deployment ? { deploymentName: setup.deployment.name, buildId: engineBuildId(bundle, activityEntries) } : undefined;
}

/**
 * Polls as `version`: its workflow tasks, and the activity tasks the runs on it schedule on this
 * worker's queue. Each workflow type sets its behaviour (workflows/versioned.ts); the default covers any that forgets.
 */
function versioned(version: DeploymentVersion | undefined, kind: string): Pick<WorkerOptions, 'workerDeploymentOptions' | 'identity'> {
  // The identity the Web UI shows on each activity and workflow task says which worker and version ran it.
  const identity = `${process.pid}@${hostname()} ${kind} ${version?.buildId ?? 'unversioned'}`;
  return version ? { identity, workerDeploymentOptions: { version, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' } } : { identity };
}

/**
 * The central worker and, in its process, the iSync worker, as one version: a pinned pass's iSync pages
 * run on the iSync worker of the version that started it, never on a newer one's activity code.
 */
export async function createEngineWorkers(setup: WorkerSetup): Promise<{ central: Worker; isync: Worker; version: DeploymentVersion | undefined }> {
  const bundle = setup.workflowBundle ?? (await engineWorkflowBundle(setup.dataConverter, { versioned: setup.deployment !== undefined }));
  const version = versionOf(setup, bundle);
  const central = await createCentralWorker({ ...setup, workflowBundle: bundle });
  return { central, isync: await createISyncWorker(setup, version), version };
}

export async function createCentralWorker(setup: WorkerSetup): Promise<Worker> {
  const { connection, namespace, deps, dataConverter } = setup;
  const bundle = setup.workflowBundle ?? (await engineWorkflowBundle(dataConverter, { versioned: setup.deployment !== undefined }));
  return Worker.create({
    connection,
    namespace: namespace ?? 'default',
    taskQueue: CENTRAL_TASK_QUEUE,
    dataConverter,
    workflowBundle: { codePath: bundle.codePath },
    activities: createActivities(deps),
    ...traced(),
    maxCachedWorkflows: (setup.sizing ?? DEFAULT_SIZING).workflowCacheSize,
    maxConcurrentWorkflowTaskExecutions: (setup.sizing ?? DEFAULT_SIZING).workflowTaskSlots,
    maxConcurrentActivityTaskExecutions: (setup.sizing ?? DEFAULT_SIZING).centralActivitySlots,
    maxConcurrentLocalActivityExecutions: (setup.sizing ?? DEFAULT_SIZING).centralActivitySlots,
    ...shutdownTimes(setup.shutdownGraceSeconds),
    ...versioned(versionOf(setup, bundle), 'central'),
  });
}

/**
 * The activity interceptors and, for tracing (worker/tracing.ts), the workflow spans' sink: every
 * worker registers it, since the bundle's OpenTelemetry interceptor hands its spans to it.
 */
function traced(): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const tracing = workerTracing();
  // OpenTelemetry's first: a refused input still shows as a failed span.
  return { interceptors: { activity: [...tracing.activity, ...activityInterceptors], nexus: tracing.nexus }, sinks: tracing.sinks };
}

/** The deployment version a worker polls as, if it uses Worker Versioning. */
export function workerVersion(worker: Worker): DeploymentVersion | undefined {
  const options = worker.options.workerDeploymentOptions;
  return options?.useWorkerVersioning ? { deploymentName: options.version.deploymentName, buildId: options.version.buildId } : undefined;
}

/**
 * On shutdown, in-flight activities get the grace time to finish, then are cancelled (and handed back
 * to the server for another worker); one that ignores its cancellation is abandoned 15 s later, and its
 * heartbeat timeout hands it back.
 */
function shutdownTimes(graceSeconds = 0): { shutdownGraceTime: string; shutdownForceTime: string } {
  return { shutdownGraceTime: `${graceSeconds} seconds`, shutdownForceTime: `${graceSeconds + 15} seconds` };
}

/**
 * The iSync calls of every iSync connection, beside the central worker in its process and polling as
 * its version (`createEngineWorkers`): unversioned only when the central worker is.
 */
export async function createISyncWorker(
  { connection, namespace, deps, dataConverter, shutdownGraceSeconds, sizing }: WorkerSetup,
  version: DeploymentVersion | undefined,
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: namespace ?? 'default',
    taskQueue: ISYNC_TASK_QUEUE,
    dataConverter,
    activities: createActivities(deps),
    ...traced(),
    maxConcurrentActivityTaskExecutions: (sizing ?? DEFAULT_SIZING).isyncActivitySlots,
    ...shutdownTimes(shutdownGraceSeconds),
    ...versioned(version, 'isync'),
  });
}

/** The code of a confined agent's namespace: the runs that back the central side's Nexus requests. */
export function agentWorkflowBundle(dataConverter: DataConverter): Promise<WorkflowBundle> {
  return cachedWorkflowBundle(require.resolve('../workflows/agent'), dataConverter.failureConverterPath, { traced: installedTracing() !== undefined });
}

export interface AgentWorkerOptions {
  /** The central side's public grant key (AGENT_GRANT_VERIFY_KEY): a confined agent refuses every request without a grant it verifies. */
  verifyKey?: KeyObject;
  /** Poll the connection's old queue in `setup.namespace` (the central one), activities only: while moving a deployment, its open work drains there. */
  legacyQueue?: boolean;
}

/**
 * The agent stays unversioned: a client's server is upgraded on its own, so tasks on its queue reach
 * it whatever version scheduled them (docs/versioning.md, what an agent guarantees). Confined (the
 * connection names `agent`), it polls its client's namespace, serves the Nexus endpoint there and runs
 * the runs that back it; otherwise, or with `legacyQueue`, it runs activities on its queue in the central namespace.
 */
export async function createAgentWorker(
  { connection, namespace, deps, dataConverter, shutdownGraceSeconds, sizing }: Omit<WorkerSetup, 'deployment' | 'workflowBundle'>,
  connectionId: string,
  options: AgentWorkerOptions = {},
): Promise<Worker> {
  const configured = deps.connections().find((c) => c.id === connectionId);
  if (!configured) throw new Error(`No connection '${connectionId}' in the configuration`);
  const refusal = agentRefusal(configured);
  if (refusal) throw new Error(refusal);
  const placement = options.legacyQueue ? undefined : agentPlacement(configured);
  const calls = createAgentCalls(deps);
  const common = {
    connection,
    dataConverter,
    activities: calls.activities,
    ...traced(),
    // The connection's guard keeps the source's own request limits; slots only bound waiting tasks.
    maxConcurrentActivityTaskExecutions: (sizing ?? DEFAULT_SIZING).agentActivitySlots,
    ...shutdownTimes(shutdownGraceSeconds),
  };
  if (!placement) return Worker.create({ ...common, namespace: namespace ?? 'default', taskQueue: connectionTaskQueue(configured) });
  if (!options.verifyKey)
    throw new Error(`Connection '${connectionId}' is confined to namespace ${placement.namespace}: its agent needs ${GRANT_VERIFY_KEY_VARIABLE}`);
  const verifyKey = options.verifyKey;
  const bundle = await agentWorkflowBundle(dataConverter);
  const log = Runtime.instance().logger;
  return Worker.create({
    ...common,
    namespace: placement.namespace,
    taskQueue: placement.taskQueue,
    workflowBundle: { codePath: bundle.codePath },
    nexusServices: [
      agentEndpointHandler({
        connection: () => deps.connections().find((c) => c.id === connectionId) ?? configured,
        verifyKey,
        refused: (line) => log.warn(line),
        quickRaise: calls.quickRaise,
        note: (line) => log.warn(line),
      }),
    ],
  });
}
