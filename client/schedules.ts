/**
 * The Temporal Schedules of each connection:
 *  - `product-sync/<connectionId>` starts `productSync` every `syncIntervalMinutes`;
 *  - `order-poll/<connectionId>` starts `pollOrders`, the safety net for missed webhooks.
 * Overlap policy SKIP: a sync still running (a source that is down, a large catalog) is never
 * doubled, and the next one starts on the first tick after it ends. Applying a connection's
 * schedules again updates them in place and keeps a pause a person set.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, productSyncScheduleId, productSyncWorkflowId, type Connection } from '../domain';
import type { pollOrders, productSync } from '../workflows';
import { ConnectionIdKey, SourceKindKey } from '../workflows/search-attributes';

/** Missed runs (Temporal itself was down) are made up only within this window; older ones are dropped. */
export const CATCHUP_WINDOW = '10 minutes';
export const ORDER_POLL_INTERVAL_MINUTES = 5;

export function orderPollScheduleId(connectionId: string): string {
  return `order-poll/${connectionId}`;
}

function searchAttributesOf(connection: Connection) {
  return [
    { key: ConnectionIdKey, value: connection.id },
    { key: SourceKindKey, value: connection.sourceKind },
  ];
}

interface ScheduledWorkflow {
  scheduleId: string;
  workflowType: string;
  workflowId: string;
  everyMinutes: number;
  /** Stops a run (across continue-as-new) that has gone on this long, so it never blocks its schedule. */
  timeoutMinutes: number;
  summary?: string;
}

/** A schedule that starts one of the connection's workflows every `everyMinutes`, never two at once. */
function connectionScheduleOptions(connection: Connection, scheduled: ScheduledWorkflow): ScheduleOptions {
  return {
    scheduleId: scheduled.scheduleId,
    spec: { intervals: [{ every: `${scheduled.everyMinutes} minutes` }] },
    action: {
      type: 'startWorkflow',
      workflowType: scheduled.workflowType,
      workflowId: scheduled.workflowId,
      taskQueue: CENTRAL_TASK_QUEUE,
      args: [{ connectionId: connection.id }],
      workflowExecutionTimeout: `${scheduled.timeoutMinutes} minutes`,
      typedSearchAttributes: searchAttributesOf(connection),
      ...(scheduled.summary ? { staticSummary: scheduled.summary } : {}),
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW },
    typedSearchAttributes: searchAttributesOf(connection),
  };
}

export function productSyncScheduleOptions(connection: Connection): ScheduleOptions {
  return connectionScheduleOptions(connection, {
    scheduleId: productSyncScheduleId(connection.id),
    workflowType: 'productSync' satisfies (typeof productSync)['name'],
    workflowId: productSyncWorkflowId(connection.id),
    everyMinutes: connection.syncIntervalMinutes,
    timeoutMinutes: connection.passTimeoutMinutes,
    summary: `Product sync of ${connection.name} (${connection.sourceKind})`,
  });
}

export function orderPollScheduleOptions(connection: Connection): ScheduleOptions {
  return connectionScheduleOptions(connection, {
    scheduleId: orderPollScheduleId(connection.id),
    workflowType: 'pollOrders' satisfies (typeof pollOrders)['name'],
    workflowId: orderPollScheduleId(connection.id),
    everyMinutes: ORDER_POLL_INTERVAL_MINUTES,
    timeoutMinutes: 60,
  });
}

export type ApplyOutcome = 'created' | 'updated';

/** Creates the schedule, or updates the existing one in place (its paused state is kept). */
export async function applySchedule(client: Client, options: ScheduleOptions): Promise<ApplyOutcome> {
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(options.scheduleId).update((previous) => ({
      ...previous,
      spec: options.spec,
      action: options.action,
      policies: { ...previous.policies, ...options.policies },
    }));
    return 'updated';
  }
}

export async function applyConnectionSchedules(client: Client, connection: Connection, { orderPoll = true } = {}) {
  const productSync = await applySchedule(client, productSyncScheduleOptions(connection));
  const poll = orderPoll && connection.settings.create_order ? await applySchedule(client, orderPollScheduleOptions(connection)) : undefined;
  return { productSync, orderPoll: poll };
}
