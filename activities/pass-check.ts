/**
 * The periodic check of a connection's product passes, run by an activity that runs every few minutes
 * anyway (the order poll's `deliverWaitingOrders`; for a connection without an order poll, the pass's
 * own `otherRunningPass` at its start), so no workflow changes for it. It reads Temporal only: the
 * connection's closed passes through visibility (and the result of the newest), and the schedule's
 * description. From them:
 *
 *  - the last pass failed (or timed out): alert `product_pass_failed`; recovered by the next pass that completes;
 *  - no pass completed for twice the sync interval while the schedule runs: alert `product_pass_overdue`
 *    (not while the last pass failed, which has its own alert, nor while the schedule is paused);
 *  - the last `alerts.pauseAfterFailedPasses` passes all failed: the schedule `product-sync/<id>` is
 *    paused with a note saying why, and alert `schedule_paused`; recovered by the next pass that
 *    completes. Failed passes count from the last pause on, so a person who resumes the schedule
 *    gets that many new tries before it is paused again (in the same episode: no second alert).
 *
 * `decidePassAlerts` is the rule, pure; `checkProductPasses` does the reading, the pausing and the alerts.
 * Their texts (the pause note, which Temporal keeps in plain, and the alerts) hold the engine's words,
 * codes and counts only: a pass's failure may quote its source, so they name the run instead.
 */
import { ScheduleNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { productSyncScheduleId, type Connection } from '../domain';
import type { ProductSyncSummary } from '../contracts/workflows';
import { formatAlertTime, type Alerter, type SendBudget } from './alerts';
import type { AlertEpisodeStore } from '../store/alert-episodes';

/** A closed pass that did something (a pass skipped because another was running is left out). */
export interface ClosedPass {
  workflowId: string;
  outcome: 'completed' | 'failed' | 'timed out';
  startedAt: Date;
  closedAt: Date;
  /** A completed pass's counts; how another ended. In the engine's words (never a source's message). */
  message: string;
}

export interface ScheduleView {
  scheduleId: string;
  exists: boolean;
  paused: boolean;
  note: string;
  createdAt: Date | null;
}

export interface PassCheckInput {
  connection: Pick<Connection, 'id' | 'syncIntervalMinutes' | 'alerts'>;
  now: Date;
  /** Newest first. */
  passes: ClosedPass[];
  schedule: ScheduleView;
  /** The start of the open `schedule_paused` episode (the engine's last pause), if any. */
  pausedSince: Date | null;
}

export type Condition = { holds: true; message: string } | { holds: false; message: string } | undefined;

export interface PassCheckDecision {
  passFailed: Condition;
  overdue: Condition;
  schedulePaused: Condition;
  /** Pause the schedule now, with this note. */
  pauseNote?: string;
}

/** Every note of a pause by the engine starts so: how the check knows its own pauses from a person's. */
export const ENGINE_PAUSE_NOTE_PREFIX = 'Paused by the engine';
/** Passes looked at, at least: the pause rule needs as many as `pauseAfterFailedPasses`. */
const CLOSED_PASSES_LOOKED_AT = 20;
const MESSAGE_LIMIT = 300;

const clip = (text: string) => (text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT - 1)}…` : text);

export function decidePassAlerts({ connection, now, passes, schedule, pausedSince }: PassCheckInput): PassCheckDecision {
  const latest = passes[0];
  const lastCompleted = passes.find((p) => p.outcome === 'completed');
  const decision: PassCheckDecision = { passFailed: undefined, overdue: undefined, schedulePaused: undefined };
  const failed = latest !== undefined && latest.outcome !== 'completed';

  if (latest)
    decision.passFailed = failed
      ? { holds: true, message: `the last product pass ${latest.outcome} (closed ${formatAlertTime(latest.closedAt)}): ${whereToLook(connection.id, latest)}` }
      : { holds: false, message: `a product pass completed again (closed ${formatAlertTime(latest.closedAt)}): ${clip(latest.message)}` };

  const windowMs = 2 * connection.syncIntervalMinutes * 60_000;
  const reference = lastCompleted?.closedAt ?? schedule.createdAt;
  if (lastCompleted && now.getTime() - lastCompleted.closedAt.getTime() <= windowMs) {
    decision.overdue = { holds: false, message: `a product pass completed again (closed ${formatAlertTime(lastCompleted.closedAt)})` };
  } else if (schedule.exists && !schedule.paused && pausedSince === null && !failed && reference && now.getTime() - reference.getTime() > windowMs) {
    const since = lastCompleted
      ? `the last one closed ${formatAlertTime(lastCompleted.closedAt)}`
      : `none since the schedule was created ${formatAlertTime(reference)}`;
    decision.overdue = {
      holds: true,
      message: `no product pass has completed for ${Math.round((now.getTime() - reference.getTime()) / 60_000)} min, over twice the ${connection.syncIntervalMinutes}-minute interval (${since}); see the Web UI or \`sync watch ${connection.id}\``,
    };
  }

  const pauseAfter = connection.alerts.pauseAfterFailedPasses;
  let inARow = 0;
  for (const pass of passes) {
    if (pass.outcome === 'completed' || (pausedSince && pass.startedAt.getTime() <= pausedSince.getTime())) break;
    inARow += 1;
  }
  const ours = schedule.paused && schedule.note.startsWith(ENGINE_PAUSE_NOTE_PREFIX);
  if (pauseAfter > 0 && inARow >= pauseAfter && schedule.exists && !schedule.paused && latest) {
    decision.pauseNote =
      `${ENGINE_PAUSE_NOTE_PREFIX} at ${formatAlertTime(now)}: the last ${inARow} product passes failed ` +
      `(latest: ${whereToLook(connection.id, latest)}). Resume after the fix: npm run cli -- sync resume ${connection.id}`;
    decision.schedulePaused = { holds: true, message: `the product-sync schedule ${schedule.scheduleId} is paused: ${decision.pauseNote}` };
  } else if (ours) {
    // Not the note itself: one written by an older engine quoted the failure.
    const message = `the product-sync schedule ${schedule.scheduleId} is paused: ${ENGINE_PAUSE_NOTE_PREFIX} after failed passes. Resume after the fix: npm run cli -- sync resume ${connection.id}`;
    decision.schedulePaused = { holds: true, message };
  } else if (pausedSince && latest?.outcome === 'completed' && latest.startedAt.getTime() > pausedSince.getTime()) {
    decision.schedulePaused = { holds: false, message: `the product-sync schedule ${schedule.scheduleId} runs again, and a pass completed` };
  }
  return decision;
}

/** Where a person reads why a pass failed: its run, and `status`, which shows its failure decoded. */
function whereToLook(connectionId: string, pass: ClosedPass): string {
  return `${pass.workflowId} in the Web UI, or \`npm run cli -- status ${connectionId}\`, says why`;
}

/** Reads the passes and the schedule, pauses the schedule when the rule says so, and raises or ends each alert. */
export async function checkProductPasses(
  client: Client,
  connection: Connection,
  alerter: Alerter,
  episodes: AlertEpisodeStore | undefined,
  log: { warn(message: string, meta?: Record<string, unknown>): void },
  budget: SendBudget = {},
): Promise<PassCheckDecision> {
  const scheduleId = productSyncScheduleId(connection.id);
  const [schedule, passes, open] = await Promise.all([
    scheduleView(client, scheduleId),
    closedPasses(client, connection.id, Math.max(CLOSED_PASSES_LOOKED_AT, connection.alerts.pauseAfterFailedPasses + 1)),
    episodes ? episodes.alertEpisodes(connection.id).catch(() => []) : Promise.resolve([]),
  ]);
  const pausedEpisode = open.find((e) => e.kind === 'schedule_paused' && e.recoveredAt === null);
  const decision = decidePassAlerts({ connection, now: new Date(), passes, schedule, pausedSince: pausedEpisode?.startedAt ?? null });
  if (decision.pauseNote) {
    try {
      await client.schedule.getHandle(scheduleId).pause(decision.pauseNote);
      log.warn(`${scheduleId} paused: ${connection.alerts.pauseAfterFailedPasses} product passes in a row failed`, { connectionId: connection.id });
    } catch (error) {
      log.warn(`${scheduleId} could not be paused: ${(error as Error).message}`, { connectionId: connection.id });
      decision.schedulePaused = undefined;
    }
  }
  const apply = async (kind: 'product_pass_failed' | 'product_pass_overdue' | 'schedule_paused', condition: Condition) => {
    if (!condition) return;
    // The pause's episode is kept with or without a webhook: failed passes count from it.
    const send = { ...budget, keepEpisode: kind === 'schedule_paused' };
    if (condition.holds) await alerter.conditionHolds(connection, kind, scheduleId, condition.message, send);
    else await alerter.conditionEnded(connection, kind, scheduleId, condition.message, send);
  };
  await apply('product_pass_failed', decision.passFailed);
  await apply('product_pass_overdue', decision.overdue);
  await apply('schedule_paused', decision.schedulePaused);
  return decision;
}

async function scheduleView(client: Client, scheduleId: string): Promise<ScheduleView> {
  try {
    const { state, info } = await client.schedule.getHandle(scheduleId).describe();
    return { scheduleId, exists: true, paused: state.paused, note: state.note ?? '', createdAt: info.createdAt };
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return { scheduleId, exists: false, paused: false, note: '', createdAt: null };
    throw error;
  }
}

/**
 * The connection's closed passes, newest first, those skipped for another left out. Visibility lists
 * the most recently closed first (the dev server's SQLite store does not sort: sorted here). Only the
 * results the rule reads are fetched: a completed pass's (was it skipped? its counts) up to the first
 * real one. A failure's message is never read: it may quote the source.
 */
async function closedPasses(client: Client, connectionId: string, limit: number): Promise<ClosedPass[]> {
  const query = `WorkflowType = 'productSync' AND ConnectionId = '${connectionId}' AND ExecutionStatus IN ('Completed', 'Failed', 'TimedOut')`;
  const executions: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: limit })) {
    executions.push(execution);
    if (executions.length >= limit) break;
  }
  executions.sort((a, b) => (b.closeTime?.getTime() ?? 0) - (a.closeTime?.getTime() ?? 0));
  const passes: ClosedPass[] = [];
  let completedSeen = false;
  for (const execution of executions) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId, { followRuns: false });
    const base = { workflowId: execution.workflowId, startedAt: execution.startTime, closedAt: execution.closeTime ?? execution.startTime };
    if (execution.status.name === 'COMPLETED') {
      if (completedSeen) {
        passes.push({ ...base, outcome: 'completed', message: 'completed' });
        continue;
      }
      const result = (await handle.result()) as ProductSyncSummary;
      if (result.skippedFor) continue;
      completedSeen = true;
      passes.push({ ...base, outcome: 'completed', message: countsOf(result) });
      continue;
    }
    const outcome = execution.status.name === 'TIMED_OUT' ? 'timed out' : 'failed';
    passes.push({ ...base, outcome, message: outcome === 'timed out' ? 'the pass ran longer than passTimeoutMinutes' : 'failed' });
  }
  return passes;
}

/** A completed pass in counts (its summary lists invalid records with their reasons, which quote the source). */
function countsOf(result: ProductSyncSummary): string {
  const n = (value: number) => value.toLocaleString('en-US');
  return (
    `${result.connectionId}: ${n(result.pages)} page(s), ${n(result.listed)} read, ${n(result.pushed)} pushed, ` +
    `${n(result.deleted)} sent as deleted, ${n(result.unchanged)} unchanged, ${n(result.ignored)} ignored, ${n(result.invalid)} invalid, ${n(result.removed)} removed`
  );
}
