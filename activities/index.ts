/**
 * The activities, grouped by flow: thin functions over the connectors. Each reads its connection from
 * the configuration, calls the outside systems through the connection's guard, and turns failures into
 * the ones Temporal retries (transient) or hands to a person (non-retryable, with the cause).
 */
import type { RaiseInSourceInput } from '../contracts/activities';
import { activityContext, type ActivityContext, type ActivityDeps } from './context';
import { orderActivities, quickRaise, type QuickRaise, type QuickRaiseBudget } from './orders';
import { orderPollActivities } from './order-poll';
import { orderReportActivities } from './order-reports';
import { productActivities } from './products';
import { sourceActivities } from './sources';

export type { ActivityDeps } from './context';
export { requestLimitsOfThisProcess } from './guarded-source';

/** Every activity of the engine, over one context (one per worker): the names are the activity types. */
export function createActivities(deps: ActivityDeps) {
  return activitiesOn(activityContext(deps));
}

/** A confined agent's activities, and its endpoint's quick raise on the same context (one guard per connection, so one set of request limits). */
export function createAgentCalls(deps: ActivityDeps): {
  activities: Activities;
  quickRaise: (input: RaiseInSourceInput, budget: QuickRaiseBudget) => Promise<QuickRaise>;
} {
  const ctx = activityContext(deps);
  return { activities: activitiesOn(ctx), quickRaise: (input, budget) => quickRaise(ctx, input, budget) };
}

function activitiesOn(ctx: ActivityContext) {
  return {
    ...sourceActivities(ctx),
    ...productActivities(ctx),
    ...orderActivities(ctx),
    ...orderReportActivities(ctx),
    ...orderPollActivities(ctx),
  };
}

export type Activities = ReturnType<typeof activitiesOn>;
