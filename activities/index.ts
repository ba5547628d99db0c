/**
 * The activities, grouped by flow: thin functions over the connectors. Each reads its connection from
 * the configuration, calls the outside systems through the connection's guard, and turns failures into
 * the ones Temporal retries (transient) or hands to a person (non-retryable, with the cause).
 */
import { activityContext, type ActivityDeps } from './context';
import { orderActivities } from './orders';
import { orderPollActivities } from './order-poll';
import { orderReportActivities } from './order-reports';
import { productActivities } from './products';
import { sourceActivities } from './sources';

export type { ActivityDeps } from './context';
export { requestLimitsOfThisProcess } from './guarded-source';

/** Every activity of the engine, over one context (one per worker): the names are the activity types. */
export function createActivities(deps: ActivityDeps) {
  const ctx = activityContext(deps);
  return {
    ...sourceActivities(ctx),
    ...productActivities(ctx),
    ...orderActivities(ctx),
    ...orderReportActivities(ctx),
    ...orderPollActivities(ctx),
  };
}

export type Activities = ReturnType<typeof createActivities>;
