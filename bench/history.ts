/**
 * The size of a workflow's history, as the server keeps it: events per run, and the largest payload
 * (input, result, heartbeat or failure details, encrypted as stored), against Temporal's limits
 * (51,200 events, 2 MB per payload; the goals are 10k events and 256 KB).
 */
import type { Client } from '@temporalio/client';

export interface HistoryFigures {
  workflowId: string;
  runs: number;
  /** The most events in one run. */
  maxEventsPerRun: number;
  /** The largest payload of any run, bytes (data plus metadata). */
  largestPayloadBytes: number;
}

/** Every Payload object under `value` (data + metadata bytes), with the path it was found at. */
export function payloadsIn(value: unknown, path: string, out: { bytes: number; path: string }[]): void {
  if (value === null || typeof value !== 'object') return;
  if (value instanceof Uint8Array) return;
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && record.metadata !== null && typeof record.metadata === 'object') {
    let bytes = record.data.length;
    for (const [key, v] of Object.entries(record.metadata as Record<string, unknown>)) bytes += key.length + (v instanceof Uint8Array ? v.length : 0);
    out.push({ bytes, path });
    return;
  }
  for (const [key, v] of Object.entries(record)) if (v !== null && v !== undefined) payloadsIn(v, path ? `${path}.${key}` : key, out);
}

/** The figures of a workflow's runs, newest back through continue-as-new (at most `maxRuns`). */
export async function historyFigures(client: Client, workflowId: string, maxRuns = 1000): Promise<HistoryFigures> {
  let runId: string | undefined;
  let runs = 0;
  let maxEventsPerRun = 0;
  let largestPayloadBytes = 0;
  do {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    runs += 1;
    maxEventsPerRun = Math.max(maxEventsPerRun, events.length);
    const payloads: { bytes: number; path: string }[] = [];
    for (const event of events) payloadsIn(event, '', payloads);
    largestPayloadBytes = Math.max(largestPayloadBytes, ...payloads.map((p) => p.bytes));
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  } while (runId && runs < maxRuns);
  return { workflowId, runs, maxEventsPerRun, largestPayloadBytes };
}
