/** How the central side reaches a confined agent: its client's Nexus endpoint, and a grant for what it asks. */
import { ApplicationFailure } from '@temporalio/common';
import { agentPlacement, type Connection } from '../domain';
import type { AgentRoute } from '../contracts/activities';
import { GRANT_SIGNING_KEY_VARIABLE, signGrant, type GrantSubject } from '../temporal/agent-grant';
import type { ActivityDeps } from './context';

/** Undefined for a connection whose agent still polls the central namespace (or has none: iSync). */
export function agentRouteFor(deps: Pick<ActivityDeps, 'grantSigningKey'>, connection: Connection, subject: GrantSubject): AgentRoute | undefined {
  const placement = agentPlacement(connection);
  if (!placement) return undefined;
  // Retried: once the key is set and the worker restarted, the order or pass goes on.
  if (!deps.grantSigningKey) {
    throw ApplicationFailure.create({
      type: 'AgentGrantKeyMissing',
      message: `Connection ${connection.id}'s agent is confined to namespace ${placement.namespace}, but this worker holds no ${GRANT_SIGNING_KEY_VARIABLE} to sign its requests: set it and restart the worker`,
    });
  }
  return { endpoint: placement.endpoint, grant: signGrant(deps.grantSigningKey, subject) };
}
