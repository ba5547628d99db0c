/**
 * The calls that run beside a source, routed: on the source's queue (iSync, or an Omni agent still in
 * the central namespace), or through the Nexus endpoint of a confined agent's namespace, carrying the
 * grant the central side signed. Which way is decided by the profile or prepared order the run
 * recorded, so a run replays the way it went.
 */
import { createNexusServiceClient, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type {
  AgentRoute,
  RaiseInSourceInput,
  RaiseInSourceResult,
  ReconcileRemovedInput,
  ReconcileRemovedResult,
  SyncProductPagesInput,
  SyncProductPagesResult,
} from '../contracts/activities';
import { agentService } from '../contracts/agent-service';
import { PROBE_CALL_OPTIONS, pageCallOptions, raiseCallOptions } from './source-call-options';

/** The Nexus operation outlives its backing activity's window by this much, so the agent's own timeout is the one that speaks. */
const OPERATION_MARGIN_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

function agent(route: AgentRoute) {
  return createNexusServiceClient({ endpoint: route.endpoint, service: agentService });
}

/** The raise, on the source's queue or through the agent's endpoint. */
export function raiseCall(ready: {
  taskQueue: string;
  orderRetryDays: number;
  agentRoute?: AgentRoute;
}): (input: RaiseInSourceInput) => Promise<RaiseInSourceResult> {
  const route = ready.agentRoute;
  if (!route) return proxyActivities<Activities>({ taskQueue: ready.taskQueue, ...raiseCallOptions(ready.orderRetryDays) }).raiseInSource;
  return (call) =>
    agent(route).executeOperation(
      'raiseInSource',
      { grant: route.grant, call },
      { scheduleToCloseTimeout: ready.orderRetryDays * 24 * 60 * MINUTE_MS + OPERATION_MARGIN_MS, summary: `Raise ${call.channelOrderCode} in Omni` },
    );
}

export interface CatalogCalls {
  syncProductPage: Activities['syncProductPage'];
  syncProductPages(input: SyncProductPagesInput): Promise<SyncProductPagesResult>;
  reconcileRemovedProducts(input: ReconcileRemovedInput): Promise<ReconcileRemovedResult>;
}

/** A pass's page runs and removed-products step. */
export function catalogCalls(profile: { taskQueue: string; pageRetryMinutes: number; agentRoute?: AgentRoute }): CatalogCalls {
  const queued = proxyActivities<Activities>({ taskQueue: profile.taskQueue, ...pageCallOptions(profile.pageRetryMinutes) });
  const route = profile.agentRoute;
  if (!route) return queued;
  const timeout = profile.pageRetryMinutes * MINUTE_MS + OPERATION_MARGIN_MS;
  return {
    // Only runs from before the patch 'product-pages-in-runs' took one page at a time, and none of them was confined.
    syncProductPage: queued.syncProductPage,
    syncProductPages: (call) => agent(route).executeOperation('syncProductPages', { grant: route.grant, call }, { scheduleToCloseTimeout: timeout }),
    reconcileRemovedProducts: (call) =>
      agent(route).executeOperation('reconcileRemovedProducts', { grant: route.grant, call }, { scheduleToCloseTimeout: timeout }),
  };
}

/** One probe of the source: does it answer? */
export function probeCall(profile: { taskQueue: string; agentRoute?: AgentRoute }): (connectionId: string) => Promise<boolean> {
  const route = profile.agentRoute;
  if (!route) return proxyActivities<Activities>({ taskQueue: profile.taskQueue, ...PROBE_CALL_OPTIONS }).probeSource;
  return (connectionId) =>
    agent(route).executeOperation(
      'probeSource',
      { grant: route.grant, call: { connectionId } },
      { scheduleToCloseTimeout: PROBE_CALL_OPTIONS.scheduleToCloseTimeout },
    );
}
