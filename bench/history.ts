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

/** Every payload object in a decoded history event (they sit under `payloads` arrays, at any depth). */
function payloadSizes(value: unknown, sizes: number[]): void {
  if (value === null || typeof value !== 'object') return;
  if (ArrayBuffer.isView(value)) return;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.payloads)) {
    for (const payload of record.payloads as { data?: Uint8Array | null; metadata?: Record<string, Uint8Array> | null }[]) {
      const metadata = Object.entries(payload.metadata ?? {}).reduce((sum, [key, bytes]) => sum + key.length + bytes.length, 0);
      sizes.push((payload.data?.length ?? 0) + metadata);
    }
  }
  for (const child of Array.isArray(value) ? value : Object.values(record)) payloadSizes(child, sizes);
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
    const sizes: number[] = [];
    for (const event of events) payloadSizes(event, sizes);
    largestPayloadBytes = Math.max(largestPayloadBytes, ...sizes);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  } while (runId && runs < maxRuns);
  return { workflowId, runs, maxEventsPerRun, largestPayloadBytes };
}
