/** Operator work the activities carry: the periodic check of a connection's passes, and the alerts still due. */
import type { Connection } from '../domain';
import type { ActivityContext } from './context';
import { alertLog, type SendBudget } from './alerts';
import { checkProductPasses } from './pass-check';

/**
 * The periodic check of the connection's passes (activities/pass-check.ts), then every alert still
 * due; run by the order poll, and by a pass's start for a connection without one. Never fails its activity.
 */
export async function periodicCheck(ctx: ActivityContext, connection: Connection, budget?: SendBudget): Promise<void> {
  try {
    await checkProductPasses(ctx.temporalClient('periodic check'), connection, ctx.alerter, ctx.alertEpisodes, alertLog(), budget);
    await ctx.alerter.flush(connection, budget);
  } catch (error) {
    alertLog().warn(`The periodic check of ${connection.id} failed: ${(error as Error).message}`, { connectionId: connection.id });
  }
}
