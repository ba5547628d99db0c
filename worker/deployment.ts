/**
 * Worker Versioning (docs/versioning.md). The central worker is one version of the Worker Deployment
 * `TEMPORAL_DEPLOYMENT_NAME` (default `stock2shop-engine`); its build id is a hash of its workflow
 * bundle, so the same code is the same version on every machine, and any change to workflow code is
 * a new one. A new version runs nothing new until it is made current:
 *   temporal worker deployment set-current-version --deployment-name stock2shop-engine --build-id <id>
 * (or `WORKER_PROMOTE_ON_START=true`, as `npm start` does on the dev server).
 *
 *   TEMPORAL_WORKER_VERSIONING        on (default) | off: off for a server without Worker Deployments
 *   WORKER_SHUTDOWN_GRACE_SECONDS     on SIGTERM, how long in-flight activities get to finish before
 *                                     they are cancelled and handed back to the server for a retry (30)
 */
import type { Client, Connection as ClientConnection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';

export const DEFAULT_DEPLOYMENT_NAME = 'stock2shop-engine';
const DEFAULT_SHUTDOWN_GRACE_SECONDS = 30;

export interface WorkerDeployment {
  name: string;
}

export function deploymentFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerDeployment | undefined {
  const versioning = (env.TEMPORAL_WORKER_VERSIONING ?? 'on').toLowerCase();
  if (versioning === 'off') return undefined;
  if (versioning !== 'on') throw new Error(`TEMPORAL_WORKER_VERSIONING is '${env.TEMPORAL_WORKER_VERSIONING}': use on or off`);
  return { name: env.TEMPORAL_DEPLOYMENT_NAME || DEFAULT_DEPLOYMENT_NAME };
}

export function shutdownGraceSecondsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.WORKER_SHUTDOWN_GRACE_SECONDS;
  if (text === undefined || text === '') return DEFAULT_SHUTDOWN_GRACE_SECONDS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`WORKER_SHUTDOWN_GRACE_SECONDS is '${text}': use a number of seconds, 0 or more`);
  return seconds;
}

export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
}

type AnyConnection = Pick<ClientConnection | NativeConnection, 'workflowService'>;

/** The deployment's current version, or undefined when none is set yet (or the deployment is new). */
export async function currentVersionOf(connection: AnyConnection, namespace: string, deploymentName: string): Promise<DeploymentVersion | undefined> {
  try {
    const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({ namespace, deploymentName });
    const current = workerDeploymentInfo?.routingConfig?.currentDeploymentVersion;
    return current?.buildId ? { deploymentName, buildId: current.buildId } : undefined;
  } catch (error) {
    if ((error as { code?: number }).code === 5 /* NOT_FOUND */) return undefined;
    throw error;
  }
}

/**
 * Makes `version` the current one and waits until every task queue routes to it. The server knows a
 * version only once its workers poll, so this retries for up to `timeoutMs` while it is unknown.
 */
export async function setCurrentVersion(
  connection: AnyConnection,
  namespace: string,
  version: DeploymentVersion,
  { identity = 'stock2shop-engine', timeoutMs = 30_000 }: { identity?: string; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({ namespace, ...version, identity });
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`Could not make ${version.deploymentName} build ${version.buildId} current: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const COMPLETED = temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED;
  while (Date.now() < deadline) {
    const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({ namespace, deploymentName: version.deploymentName });
    if (workerDeploymentInfo?.routingConfigUpdateState === COMPLETED) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${version.deploymentName} build ${version.buildId} is current, but its task queues did not all route to it within ${timeoutMs} ms`);
}

/**
 * For a single-process stack (`npm start`), where no other version's workers can be running: syncs,
 * one-off pushes and polls pinned to another version would wait for it forever (and a waiting sync or
 * push holds the connection's pass claim), so they are ended. All are safe to end: the next pass pushes
 * whatever changed, a push can be asked again, the next poll delivers whatever waits. Orders and
 * source watches move by themselves.
 */
export async function endRunsPinnedToOtherVersions(client: Client, version: DeploymentVersion): Promise<string[]> {
  const ended: string[] = [];
  const query = `WorkflowType IN ('productSync', 'pushProducts', 'pollOrders') AND ExecutionStatus = 'Running'`;
  for await (const execution of client.workflow.list({ query })) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    const { raw } = await handle.describe();
    const pinned = raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion;
    if (!pinned?.buildId || pinned.deploymentName !== version.deploymentName || pinned.buildId === version.buildId) continue;
    await handle.terminate(
      `Version ${pinned.buildId} of ${version.deploymentName} no longer runs (the stack restarted as ${version.buildId}); the next scheduled run starts over`,
    );
    ended.push(execution.workflowId);
  }
  return ended;
}
