/**
 * Replays workflow histories against a workflow bundle, as a worker running that bundle would replay
 * them: a history the code could not survive (a command added, removed or reordered) fails, naming
 * the event. The replay corpus test and `patches check` (open runs, read from Temporal) use it.
 */
import type { DataConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workerTracing } from './tracing';

export type { History };

export interface NamedHistory {
  /** What a result is reported under: a corpus file's name, or a run's workflow id. */
  name: string;
  workflowId: string;
  history: History;
}

export interface ReplayOutcome {
  name: string;
  /** Set when the history does not replay: a DeterminismViolationError (its message names the event) or a ReplayError. */
  error?: Error;
}

/**
 * Replays each history against `workflowBundle` with `dataConverter` (the payload codec that
 * encrypted the history, and the failure converter). One result per history, in the order given,
 * named; `histories` may be produced lazily (fetched from Temporal while the first ones replay).
 */
export async function replayHistories(
  workflowBundle: { codePath: string } | { code: string },
  histories: Iterable<NamedHistory> | AsyncIterable<NamedHistory>,
  dataConverter: DataConverter,
): Promise<ReplayOutcome[]> {
  const bundle = 'codePath' in workflowBundle ? { codePath: workflowBundle.codePath } : { code: workflowBundle.code };
  const given: NamedHistory[] = [];
  async function* remembered() {
    for await (const entry of histories) {
      given.push(entry);
      yield { workflowId: entry.workflowId, history: entry.history };
    }
  }
  const results: ReplayOutcome[] = [];
  // The bundle's OpenTelemetry interceptor hands its spans to the `exporter` sink, which a replay never calls but must know.
  // One history at a time, in the order given: the nth result is the nth history's.
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: bundle, dataConverter, replayName: 'history-replay', sinks: workerTracing().sinks },
    remembered(),
  )) {
    const { name, history } = given[results.length]!;
    results.push(result.error ? { name, error: withEventDescribed(result.error, history) } : { name });
  }
  if (results.length !== given.length) {
    throw new Error(`Replayed ${results.length} of ${given.length} histories: the replay worker stopped early`);
  }
  return results;
}

/**
 * Core names the event by id and kind (`HistoryEvent(id: 7, ActivityTaskScheduled)`); the error's
 * message gets what that event was, read from the history (`event 7 in history: ActivityTaskScheduled
 * raiseInSource`), so a failure says which activity, timer or signal no longer matches. The error
 * keeps its class.
 */
function withEventDescribed(error: Error, history: History): Error {
  const id = /HistoryEvent\(id: (\d+)/.exec(error.message)?.[1];
  const event = id === undefined ? undefined : history.events?.find((e) => String(e.eventId) === id);
  if (!event) return error;
  const kind = typeof event.eventType === 'number' ? proto.temporal.api.enums.v1.EventType[event.eventType] : String(event.eventType);
  const what =
    event.activityTaskScheduledEventAttributes?.activityType?.name ??
    (event.timerStartedEventAttributes
      ? `timer ${event.timerStartedEventAttributes.timerId} of ${Number(event.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)} s`
      : undefined) ??
    event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ??
    event.workflowExecutionSignaledEventAttributes?.signalName ??
    event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ??
    undefined;
  error.message = `${error.message} [event ${id} in history: ${String(kind).replace(/^EVENT_TYPE_/, '')}${what ? ` ${what}` : ''}]`;
  return error;
}
