/**
 * What a run did, read from its history: the activities it called and the patches it took.
 * An activity task is an ActivityTaskScheduled event; a local activity (run inside a workflow task)
 * is a `core_local_activity` marker whose `data` names its type (one more for each try after a
 * backoff timer). A patch taken is a `core_patch` marker.
 */
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type History = temporal.api.history.v1.IHistory;

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** The local activity's type when the event is its marker, else undefined. */
export function localActivityTypeOf(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  const data = marker.details?.['data']?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: unknown };
    return typeof parsed.activity_type === 'string' ? parsed.activity_type : undefined;
  } catch {
    return undefined;
  }
}

export interface ActivityStep {
  type: string;
  local: boolean;
}

/** The activity the event calls, as an activity task (scheduled) or a local activity (its marker). */
export function activityStepOf(event: HistoryEvent): ActivityStep | undefined {
  const scheduled = event.activityTaskScheduledEventAttributes?.activityType?.name;
  if (scheduled) return { type: scheduled, local: false };
  const local = localActivityTypeOf(event);
  return local ? { type: local, local: true } : undefined;
}

/** The type of `activityStepOf`, local or not. */
export function activityTypeOf(event: HistoryEvent): string | undefined {
  return activityStepOf(event)?.type;
}

/** Every activity the run called, in history order, local or not. */
export function activitySteps(history: History): ActivityStep[] {
  return (history.events ?? []).flatMap((event) => activityStepOf(event) ?? []);
}

/** The types of `activitySteps`, with local activities marked `(local)`: what an assertion compares. */
export function activityStepNames(history: History): string[] {
  return activitySteps(history).map((step) => (step.local ? `${step.type} (local)` : step.type));
}

/** The patch id when the event is a patch's marker (`patched()` answered yes), else undefined. */
export function patchIdOf(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_patch') return undefined;
  const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
  const id = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** The ids of the patches the run took, in order. */
export function patchIdsOf(history: History): string[] {
  return (history.events ?? []).flatMap((event) => patchIdOf(event) ?? []);
}

/** Plain by design, never through the payload codec: the search attributes (codes only) and headers. */
const NOT_CODEC_PAYLOADS = new Set(['searchAttributes', 'header']);

/** Every payload the codec wrote anywhere in `value` (a fetched history, an event), as Temporal stores it. */
export function collectPayloads(value: unknown, found: Payload[] = []): Payload[] {
  if (value === null || typeof value !== 'object') return found;
  if (ArrayBuffer.isView(value)) return found;
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && record.metadata && typeof record.metadata === 'object') {
    found.push(record as Payload);
    return found;
  }
  // A marker's own data (a patch id, a local activity's seq and type) is the SDK's, in plain JSON; a local activity's result is the codec's.
  if (typeof record.markerName === 'string') {
    collectPayloads((record.details as Record<string, unknown> | undefined)?.result, found);
    return collectPayloads(record.failure, found);
  }
  for (const [key, item] of Object.entries(record)) if (!NOT_CODEC_PAYLOADS.has(key)) collectPayloads(item, found);
  return found;
}
