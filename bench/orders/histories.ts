/**
 * Row 6: the histories of raiseOrder runs of rows 1, 2, 4 and 5 (read at the end of each, before its
 * stack may be replaced): events per run, largest payload.
 */
import { temporal } from '@temporalio/proto';
import { raiseOrderWorkflowId } from '../../domain';
import { localActivityTypeOf } from '../../test/helpers/history-reading';
import { payloadsIn } from '../history';
import { mapLimit, say, type BenchStack } from '../harness';
import { markdownTable, quantile, verdict, type GoalRow } from '../report';
import { GOALS, type Run } from './kit';

export interface HistoryFigures {
  runs: number;
  events: { median: number; max: number };
  workflowTasks: { median: number; max: number };
  activityTasks: { median: number; max: number };
  /** Nexus operations scheduled (the confined path's raise). */
  nexusOperations: { median: number; max: number };
  localActivities: { median: number; max: number };
  historyBytes: { median: number; max: number };
  largestPayloadBytes: number;
  largestEventBytes: number;
  largestPayloadWhere: string;
  payloadsPerRun: number;
}

const EventType = temporal.api.enums.v1.EventType;

async function historyFigures(stack: BenchStack, connectionId: string, codes: string[]): Promise<HistoryFigures> {
  const perRun = await mapLimit(codes, 8, async (code) => {
    const history = await stack.client.workflow.getHandle(raiseOrderWorkflowId(connectionId, code)).fetchHistory();
    const events = history.events ?? [];
    const payloads: { bytes: number; path: string }[] = [];
    let largestEvent = 0;
    for (const event of events) {
      payloadsIn(event, String(event.eventType ?? ''), payloads);
      largestEvent = Math.max(largestEvent, temporal.api.history.v1.HistoryEvent.encode(event).finish().length);
    }
    const largest = payloads.reduce((a, b) => (b.bytes > a.bytes ? b : a), { bytes: 0, path: '-' });
    return {
      events: events.length,
      workflowTasks: events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
      activityTasks: events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length,
      nexusOperations: events.filter((e) => e.eventType === EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED).length,
      localActivities: events.filter((e) => localActivityTypeOf(e) !== undefined).length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      largest,
      largestEvent,
      payloads: payloads.length,
    };
  });
  const mm = (values: number[]) => ({ median: quantile(values, 0.5) ?? 0, max: quantile(values, 1) ?? 0 });
  const largest = perRun.reduce((a, b) => (b.largest.bytes > a.largest.bytes ? b : a));
  return {
    runs: perRun.length,
    events: mm(perRun.map((r) => r.events)),
    workflowTasks: mm(perRun.map((r) => r.workflowTasks)),
    activityTasks: mm(perRun.map((r) => r.activityTasks)),
    nexusOperations: mm(perRun.map((r) => r.nexusOperations)),
    localActivities: mm(perRun.map((r) => r.localActivities)),
    historyBytes: mm(perRun.map((r) => r.bytes)),
    largestPayloadBytes: largest.largest.bytes,
    largestEventBytes: Math.max(...perRun.map((r) => r.largestEvent)),
    largestPayloadWhere: largest.largest.path.replace(/^(\d+)\./, (_, t: string) => `${EventType[Number(t)] ?? t}.`),
    payloadsPerRun: quantile(
      perRun.map((r) => r.payloads),
      0.5,
    )!,
  };
}

/** Row 6 for one row's orders: `historiesPerRow` of them, spread evenly. */
export async function readHistories(run: Run, row: string, connectionId: string, codes: string[]): Promise<void> {
  const step = Math.max(1, Math.floor(codes.length / run.sizes.historiesPerRow));
  const picked = codes.filter((_, i) => i % step === 0).slice(0, run.sizes.historiesPerRow);
  const h = await historyFigures(run.stack, connectionId, picked);
  run.histories![row] = h;
  say(
    `row 6, ${row}: ${h.runs} raiseOrder histories: events median ${h.events.median} max ${h.events.max}; workflow tasks ${h.workflowTasks.median}, activities ${h.activityTasks.median}, Nexus operations ${h.nexusOperations.median}; ` +
      `history ${h.historyBytes.median} B; largest payload ${h.largestPayloadBytes} B (${h.largestPayloadWhere}), largest event ${h.largestEventBytes} B`,
  );
}

// ------------------------------------------------------------------------------------------------- report

export function historiesGoalRows(histories: Record<string, HistoryFigures>): GoalRow[] {
  const all = Object.values(histories);
  const maxEvents = Math.max(...all.map((h) => h.events.max));
  const maxPayload = Math.max(...all.map((h) => h.largestPayloadBytes));
  return [
    {
      benchmark: 'raiseOrder history: events per run',
      goal: `≤ ${GOALS.eventsPerRun.toLocaleString('en')}`,
      measured: `${maxEvents} at most (median: ${Object.entries(histories)
        .map(([row, h]) => `${row.replace(/^\d+\. /, '')} ${h.events.median}`)
        .join(', ')})`,
      verdict: verdict(maxEvents <= GOALS.eventsPerRun),
    },
    {
      benchmark: 'raiseOrder history: largest payload',
      goal: '< 256 KB',
      measured: `${maxPayload.toLocaleString('en')} bytes`,
      verdict: verdict(maxPayload < GOALS.largestPayloadBytes),
    },
  ];
}

export function historiesMarkdown(histories: Record<string, HistoryFigures>): string[] {
  return [
    '**6. histories** of raiseOrder runs (`fetchHistory`, payloads as stored: encrypted), read at the end of each row (once):',
    '',
    markdownTable(
      ['runs of', 'read', 'events (median / max)', 'workflow tasks', 'activity tasks', 'Nexus operations', 'local activities', 'history bytes', 'largest payload', 'largest event'],
      Object.entries(histories).map(([row, h]) => [
        row,
        String(h.runs),
        `${h.events.median} / ${h.events.max}`,
        `${h.workflowTasks.median} / ${h.workflowTasks.max}`,
        `${h.activityTasks.median} / ${h.activityTasks.max}`,
        `${h.nexusOperations.median} / ${h.nexusOperations.max}`,
        `${h.localActivities.median} / ${h.localActivities.max}`,
        `${h.historyBytes.median} / ${h.historyBytes.max}`,
        `${h.largestPayloadBytes} B (${h.largestPayloadWhere})`,
        `${h.largestEventBytes} B`,
      ]),
    ),
    '',
  ];
}
