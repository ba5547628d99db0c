/**
 * What the central workflows ask of a confined Omni agent, through the Nexus endpoint of its client's
 * namespace: the calls that must run beside Omni. Each request carries a grant, the central side's
 * signature over what it asks (`temporal/agent-grant.ts`), which no agent can make: the endpoint
 * refuses anything else, whoever scheduled it.
 */
import * as nexus from 'nexus-rpc';
import type {
  RaiseInSourceInput,
  RaiseInSourceResult,
  ReconcileRemovedInput,
  ReconcileRemovedResult,
  SyncProductPagesInput,
  SyncProductPagesResult,
} from './activities';

/** A call to the agent: the activity's own input, and the central side's signature over it. */
export interface AgentRequest<Call> {
  grant: string;
  call: Call;
}

export const AGENT_SERVICE_NAME = 'omniAgent';

export const agentService = nexus.service(AGENT_SERVICE_NAME, {
  raiseInSource: nexus.operation<AgentRequest<RaiseInSourceInput>, RaiseInSourceResult>(),
  syncProductPages: nexus.operation<AgentRequest<SyncProductPagesInput>, SyncProductPagesResult>(),
  reconcileRemovedProducts: nexus.operation<AgentRequest<ReconcileRemovedInput>, ReconcileRemovedResult>(),
  probeSource: nexus.operation<AgentRequest<{ connectionId: string }>, boolean>(),
});

export type AgentOperation = keyof typeof agentService.operations;

/** The activity a backing workflow of the agent runs: one of the agent's activities, with the options the agent chose. */
export interface AgentSourceCallInput {
  activity: AgentOperation;
  args: [unknown];
  options: {
    startToCloseTimeout: string;
    heartbeatTimeout?: string;
    scheduleToCloseTimeout: string;
    retry: { initialInterval?: string; backoffCoefficient?: number; maximumInterval?: string; maximumAttempts?: number; nonRetryableErrorTypes?: string[] };
  };
}
