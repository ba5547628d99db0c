/**
 * The workflows of a confined agent's own namespace: each backs one Nexus operation of the central
 * side by running one of the agent's activities (heartbeats, look-before-create and retries as on the
 * central side's queue). Kept to one call, so an agent upgraded on its own replays its open runs.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AgentSourceCallInput } from '../contracts/agent-service';

export async function agentSourceCall(input: AgentSourceCallInput): Promise<unknown> {
  const activities = proxyActivities<Record<string, (argument: unknown) => Promise<unknown>>>(input.options);
  return activities[input.activity]!(input.args[0]);
}
