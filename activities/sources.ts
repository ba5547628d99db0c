/** A connection's profile, and the probes and waiting list that carry orders through an outage of its source. */
import { connectionTaskQueue } from '../domain';
import type { ConnectionProfile, SourceWaiter } from '../contracts/activities';
import { SYSTEM_LABEL, TransientError } from '../connectors/errors';
import { watchSourceFor } from '../temporal/source-watch';
import type { ActivityContext } from './context';
import { asActivity } from './failures';
import { agentRouteFor } from './agent-routes';
import { sourceReachable } from './metrics';

/** A probe runs within 30 s, beside a ping: its alert gets a smaller budget (the next probe tries again). */
const PROBE_BUDGET = { attempts: 2, attemptTimeoutMs: 4_000 };
/** The order code a probe looks for: no channel sends it, so the find answers "none" (or anything but silence). */
const PROBE_ORDER_CODE = 'S2S-ENGINE-PROBE-0';

export function sourceActivities(ctx: ActivityContext) {
  return {
    async describeConnection(connectionId: string): Promise<ConnectionProfile> {
      return asActivity(async () => {
        const connection = ctx.connectionById(connectionId);
        const { credentialsRef: _secretsStayHere, ...profile } = connection;
        const agentRoute = agentRouteFor(ctx.deps, connection, { connectionId, operation: 'catalog' });
        return { ...profile, taskQueue: connectionTaskQueue(profile), ...(agentRoute ? { agentRoute } : {}) };
      });
    },

    /**
     * One probe of a connection's source (on its task queue): does it answer at all? The source watch
     * runs it while the source is down, so it also keeps the `source_down` alert: the episode begins at
     * the first probe without an answer, its alert goes out once that is `alerts.sourceDownMinutes`
     * ago, and its recovery at the first probe that gets an answer.
     */
    async probeSource(connectionId: string): Promise<boolean> {
      return asActivity(() => probeSource(ctx, connectionId));
    },

    /** Puts an order on the list of the connection's source watch (starting the watch when needed). */
    async registerSourceWaiter(waiter: SourceWaiter): Promise<void> {
      return asActivity(async () => {
        await watchSourceFor(ctx.temporalClient('registerSourceWaiter'), waiter);
      });
    },
  };
}

async function probeSource(ctx: ActivityContext, connectionId: string): Promise<boolean> {
  const connection = ctx.connectionById(connectionId);
  const { source } = ctx.guardedSource(connection);
  let reachable = true;
  let why = '';
  // The ping, then the path orders take: a find of a code no order has (a source whose ping answers
  // while its order path drops every connection is down for orders).
  for (const call of [() => source.ping(), () => source.findOrder(PROBE_ORDER_CODE)]) {
    try {
      await call();
    } catch (error) {
      // Any answer, even a refusal of the login, means the source is there.
      reachable = !(error instanceof TransientError && error.sourceUnreachable);
      why = (error as Error).message;
      if (!reachable) break;
    }
  }
  sourceReachable(connection.id, reachable);
  const label = `the ${SYSTEM_LABEL[connection.sourceKind]} source`;
  if (reachable) await ctx.alerter.conditionEnded(connection, 'source_down', 'source', `${label} answers again`, PROBE_BUDGET);
  else
    await ctx.alerter.conditionHolds(
      connection,
      'source_down',
      'source',
      `${label} has not answered for over ${connection.alerts.sourceDownMinutes} min; orders wait for it (last error: ${why})`,
      PROBE_BUDGET,
    );
  return reachable;
}
