/**
 * The Temporal Schedules of each connection:
 *  - `product-sync/<connectionId>` starts `productSync` every `syncIntervalMinutes`;
 *  - `order-poll/<connectionId>` starts `pollOrders`, the safety net for missed webhooks.
 * Overlap policy SKIP: a sync still running (a source that is down, a large catalog) is never
 * doubled, and the next one starts on the first tick after it ends. Applying a connection's
 * schedules again updates them in place and keeps a pause a person set.
 *
 * At scale (hundreds of connections) the schedules are spread over their interval by a fixed phase
 * per schedule (`scheduleOffsetSeconds`), and applying them also removes what is no longer configured:
 * the order poll of a connection with `create_order: false`, and both schedules of a connection that
 * left the configuration (`pruneSchedules`).
 */
import { createHash } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { CENTRAL_TASK_QUEUE, ConnectionIdSchema, productSyncScheduleId, productSyncWorkflowId, type Connection } from '../domain';
import type { pollOrders, productSync } from '../workflows';
import { ConnectionIdKey, SourceKindKey } from '../contracts/search-attributes';
import { connectionPriority } from '../temporal/priority';

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

/**
 * The phase of a schedule within its interval, in whole seconds, 0 ≤ offset < the interval: a hash
 * (SHA-256) of the schedule id, so of the connection id and the kind of schedule.
 *
 * Why a phase and no jitter: Temporal starts an interval schedule at `epoch + n × every + offset`, so
 * with offset 0 the schedules of 500 connections would all fire at :00, :03, :06… A fixed offset per
 * schedule spreads them evenly over the interval (a 3-minute sync has 180 one-second slots, a 5-minute
 * poll 300), and every run still starts at its nominal time: the offset is part of that time, the
 * same on every apply, on every machine and after every restart, so `schedule describe` shows when the
 * next run comes and runs stay one interval apart. Schedule `jitter` would instead delay each run by
 * a random amount after its nominal time: a jitter small enough to keep runs within 30 s of their
 * time spreads 500 schedules over 30 seconds only, and a larger one gives up that promise. So no
 * jitter. The product sync and the order poll of one connection get different phases.
 */
export function scheduleOffsetSeconds(scheduleId: string, everyMinutes: number): number {
  const intervalSeconds = Math.max(1, Math.round(everyMinutes * 60));
  return createHash('sha256').update(scheduleId).digest().readUIntBE(0, 6) % intervalSeconds;
}

/** A schedule that starts one of the connection's workflows every `everyMinutes`, never two at once. */
function connectionScheduleOptions(connection: Connection, scheduled: ScheduledWorkflow): ScheduleOptions {
  const offsetSeconds = scheduleOffsetSeconds(scheduled.scheduleId, scheduled.everyMinutes);
  return {
    scheduleId: scheduled.scheduleId,
    spec: { intervals: [{ every: `${scheduled.everyMinutes} minutes`, offset: `${offsetSeconds} seconds` }] },
    action: {
      type: 'startWorkflow',
      workflowType: scheduled.workflowType,
      workflowId: scheduled.workflowId,
      taskQueue: CENTRAL_TASK_QUEUE,
      args: [{ connectionId: connection.id }],
      workflowExecutionTimeout: `${scheduled.timeoutMinutes} minutes`,
      typedSearchAttributes: searchAttributesOf(connection),
      ...(scheduled.summary ? { staticSummary: scheduled.summary } : {}),
      // The SDK sends an action's priority though its options type leaves it out (1.24).
      ...({ priority: connectionPriority(connection.id) } as object),
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

export interface ConnectionSchedulesOutcome {
  productSync: ApplyOutcome;
  /** `removed`: order raising is switched off (`create_order: false`) and the poll left from before was deleted. */
  orderPoll: ApplyOutcome | 'removed' | undefined;
}

/**
 * Applies the connection's schedules. A connection whose order raising is switched off
 * (`settings.create_order: false`) has no order poll: one left from before is deleted.
 */
export async function applyConnectionSchedules(client: Client, connection: Connection, { orderPoll = true } = {}): Promise<ConnectionSchedulesOutcome> {
  const productSync = await applySchedule(client, productSyncScheduleOptions(connection));
  if (!orderPoll) return { productSync, orderPoll: undefined };
  if (connection.settings.create_order) return { productSync, orderPoll: await applySchedule(client, orderPollScheduleOptions(connection)) };
  const removed = await deleteEngineSchedule(client, orderPollScheduleId(connection.id));
  return { productSync, orderPoll: removed ? 'removed' : undefined };
}

/** The schedule ids this engine creates (`<prefix><connectionId>`) and the workflow each starts; nothing else is ever deleted. */
const ENGINE_SCHEDULES = [
  { prefix: 'product-sync/', workflowType: 'productSync' satisfies (typeof productSync)['name'] },
  { prefix: 'order-poll/', workflowType: 'pollOrders' satisfies (typeof pollOrders)['name'] },
] as const;

/** The connection and workflow type of one of this engine's schedule ids; undefined for any other id. */
export function engineScheduleOf(scheduleId: string): { connectionId: string; workflowType: string } | undefined {
  for (const { prefix, workflowType } of ENGINE_SCHEDULES) {
    if (!scheduleId.startsWith(prefix)) continue;
    const connectionId = scheduleId.slice(prefix.length);
    if (ConnectionIdSchema.safeParse(connectionId).success) return { connectionId, workflowType };
  }
  return undefined;
}

/**
 * Deletes one of this engine's schedules: only an id of its shapes, and only when the schedule starts
 * the workflow that shape stands for. False when there was none (or it is not the engine's).
 */
export async function deleteEngineSchedule(client: Client, scheduleId: string): Promise<boolean> {
  const shape = engineScheduleOf(scheduleId);
  if (!shape) return false;
  const handle = client.schedule.getHandle(scheduleId);
  try {
    const { action } = await handle.describe();
    if (action.type !== 'startWorkflow' || action.workflowType !== shape.workflowType) return false;
    await handle.delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

export interface PrunedSchedule {
  scheduleId: string;
  connectionId: string;
}

/**
 * Deletes the schedules of connections no longer configured: `product-sync/<id>` and `order-poll/<id>`
 * whose `<id>` is none of `connections`. Any other schedule in the namespace is left alone. The
 * schedule list is eventually consistent: a schedule created a moment ago may be found only by the
 * next run.
 */
export async function pruneSchedules(client: Client, connections: readonly Pick<Connection, 'id'>[]): Promise<PrunedSchedule[]> {
  const configured = new Set(connections.map((connection) => connection.id));
  const candidates: PrunedSchedule[] = [];
  for await (const schedule of client.schedule.list()) {
    const shape = engineScheduleOf(schedule.scheduleId);
    if (shape && !configured.has(shape.connectionId)) candidates.push({ scheduleId: schedule.scheduleId, connectionId: shape.connectionId });
  }
  const pruned: PrunedSchedule[] = [];
  for (const candidate of candidates.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId))) {
    if (await deleteEngineSchedule(client, candidate.scheduleId)) pruned.push(candidate);
  }
  return pruned;
}
