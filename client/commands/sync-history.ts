/**
 * `sync history <connectionId> [--last N]`: the connection's passes, newest first, one a line.
 *
 * From Temporal only: visibility lists the passes' runs (`productSync` and `pushProducts`, running
 * first, then the most recently closed), each pass by its latest run (a pass that continued as new is
 * one pass, from its first run's start); a closed pass's result (or failure) gives its counts and
 * outcome, read from its close event. Never a source or Stock2Shop, so it answers during any outage.
 */
import type { Command } from 'commander';
import { WorkflowFailedError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { connectionOfWorkflowId, escapeUnsafeCharacters } from '../../domain';
import { ConnectionIdKey } from '../../contracts/search-attributes';
import type { ProductSyncSummary, PushProductsResult } from '../../contracts/workflows';
import { formatTime } from '../status';
import { findConnection, UsageError, type CliContext } from '../cli-context';
import { PRODUCT_PUSH_WORKFLOW_PREFIX, pushOutcomeWords } from './sync-push';

export type PassKind = 'scheduled' | 'manual' | 'push';
export type PassOutcome = 'completed' | 'skipped' | 'pushed' | 'refused' | 'failed' | 'timed out' | 'terminated' | 'cancelled' | 'running';

export interface PassRecord {
  workflowId: string;
  /** The pass's latest run (the one that closed it, or runs now). */
  runId: string;
  /** Its first run: another when the pass continued as new. */
  firstRunId: string;
  workflowType: 'productSync' | 'pushProducts';
  kind: PassKind;
  startedAt: Date;
  closedAt: Date | null;
  /** From the first run's start to the last run's close (or to now, while it runs). */
  durationMs: number;
  outcome: PassOutcome;
  /** Null when the pass has no counts (it failed, was ended, or runs). */
  read: number | null;
  pushed: number | null;
  invalid: number | null;
  removed: number | null;
  /** The pass's summary line; what a push did; or why the pass failed, was skipped, refused or ended. */
  detail: string;
  /** The pass's latest run in the Web UI. */
  url: string;
}

export const DEFAULT_LAST = 20;
const MAX_LAST = 1000;
/** Runs looked at beyond N: passes skipped while another ran close before it, so they are sorted by start among a few more. */
const MARGIN = 5;
const PARALLEL = 8;
/** The start time Temporal appends to the workflow id of a scheduled run. */
const SCHEDULED_SUFFIX = /-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export function registerSyncHistory(sync: Command, context: CliContext): void {
  sync
    .command('history <connectionId>')
    .description(
      "the connection's passes (scheduled, manual, and `sync push`), newest first, one a line: start, duration, read, pushed, invalid, " +
        'removed, outcome and the Web UI link. Read from Temporal (visibility and the passes’ results), never from a source or Stock2Shop',
    )
    .option('--last <n>', 'how many passes', String(DEFAULT_LAST))
    .option('--json', 'print JSON (an array, one object per pass, newest first), for scripts')
    .action(async (connectionId: string, options: { last: string; json?: boolean }) => {
      const connection = findConnection(context, connectionId);
      const last = Number(options.last);
      if (!Number.isInteger(last) || last < 1 || last > MAX_LAST)
        throw new UsageError(`--last must be a whole number from 1 to ${MAX_LAST} (got '${options.last}')`);
      const passes = await gatherSyncHistory(await context.client(), connection.id, { last, webUi: webUiBaseUrl() });
      if (options.json) context.out(JSON.stringify(passes, null, 2));
      else if (passes.length === 0) context.out(`No pass of ${connection.id} in Temporal (none has run, or they are older than the namespace's retention)`);
      else for (const line of renderSyncHistory(passes)) context.out(line);
    });
}

/** Where the Web UI is: TEMPORAL_UI_URL, else the dev server's own on TEMPORAL_UI_PORT (8233), as `npm start` runs it. */
export function webUiBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.TEMPORAL_UI_URL ?? `http://localhost:${env.TEMPORAL_UI_PORT ?? '8233'}`).replace(/\/+$/, '');
}

export async function gatherSyncHistory(client: Client, connectionId: string, options: { last: number; webUi: string; now?: Date }): Promise<PassRecord[]> {
  const query =
    `WorkflowType IN ('productSync', 'pushProducts') AND ExecutionStatus != 'ContinuedAsNew' AND (ConnectionId = '${connectionId}' ` +
    `OR WorkflowId STARTS_WITH 'product-sync/${connectionId}' OR WorkflowId STARTS_WITH '${PRODUCT_PUSH_WORKFLOW_PREFIX}${connectionId}')`;
  const latestRuns: WorkflowExecutionInfo[] = [];
  const wanted = options.last + MARGIN;
  for await (const execution of client.workflow.list({ query, pageSize: Math.min(wanted, 1000) })) {
    // A prefix also matches a longer connection id (`acme` and `acme-omni`): the id's own connection decides.
    const owner = execution.typedSearchAttributes.get(ConnectionIdKey) ?? connectionOfWorkflowId(execution.workflowId);
    if (owner !== connectionId) continue;
    latestRuns.push(execution);
    if (latestRuns.length >= wanted) break;
  }
  const now = options.now ?? new Date();
  const passes = await mapLimited(latestRuns, PARALLEL, (execution) => passOf(client, execution, options.webUi, now));
  return passes.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime()).slice(0, options.last);
}

async function passOf(client: Client, execution: WorkflowExecutionInfo, webUi: string, now: Date): Promise<PassRecord> {
  const { workflowId, runId } = execution;
  const workflowType = execution.type === 'pushProducts' ? 'pushProducts' : 'productSync';
  const { firstRunId, startedAt } = await firstRunOf(client, execution);
  const closedAt = execution.closeTime ?? null;
  const url = `${webUi}/namespaces/${encodeURIComponent(client.options.namespace)}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;
  const kind: PassKind = workflowType === 'pushProducts' ? 'push' : SCHEDULED_SUFFIX.test(workflowId) ? 'scheduled' : 'manual';
  const base = { workflowId, runId, firstRunId, workflowType, kind, startedAt, closedAt, durationMs: (closedAt ?? now).getTime() - startedAt.getTime(), url };
  return { ...base, ...(await outcomeOf(client, execution)) } as PassRecord;
}

/** The pass's first run and its start: this run, unless the pass continued as new into it. */
async function firstRunOf(client: Client, execution: WorkflowExecutionInfo): Promise<{ firstRunId: string; startedAt: Date }> {
  const own = { firstRunId: execution.runId, startedAt: execution.startTime };
  const described = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
  const firstRunId = described.raw.workflowExecutionInfo?.firstRunId;
  if (!firstRunId || firstRunId === execution.runId) return own;
  const first = await client.workflow
    .getHandle(execution.workflowId, firstRunId)
    .describe()
    .catch(() => undefined);
  // A first run older than the retention is gone: the pass shows from the oldest run Temporal keeps.
  return first ? { firstRunId, startedAt: first.startTime } : own;
}

type Outcome = Pick<PassRecord, 'outcome' | 'read' | 'pushed' | 'invalid' | 'removed' | 'detail'>;
const NO_COUNTS = { read: null, pushed: null, invalid: null, removed: null };

async function outcomeOf(client: Client, execution: WorkflowExecutionInfo): Promise<Outcome> {
  const status = execution.status.name;
  if (status === 'RUNNING') return { outcome: 'running', ...NO_COUNTS, detail: 'running' };
  const handle = client.workflow.getHandle(execution.workflowId, execution.runId, { followRuns: false });
  if (status === 'COMPLETED') {
    const result: unknown = await handle.result();
    return execution.type === 'pushProducts' ? pushOutcome(result as PushProductsResult) : passOutcome(result as ProductSyncSummary);
  }
  let reason = status === 'TIMED_OUT' ? 'the pass ran longer than passTimeoutMinutes' : status.toLowerCase();
  try {
    await handle.result();
  } catch (error) {
    if (error instanceof WorkflowFailedError) reason = (status === 'FAILED' ? error.cause?.message : undefined) ?? error.message;
  }
  const outcome: PassOutcome = status === 'FAILED' ? 'failed' : status === 'TIMED_OUT' ? 'timed out' : status === 'TERMINATED' ? 'terminated' : 'cancelled';
  return { outcome, ...NO_COUNTS, detail: reason };
}

function passOutcome(result: ProductSyncSummary): Outcome {
  if (result.skippedFor) return { outcome: 'skipped', ...NO_COUNTS, detail: `pass ${result.skippedFor} was running` };
  return { outcome: 'completed', read: result.listed, pushed: result.pushed, invalid: result.invalid, removed: result.removed, detail: result.summary };
}

function pushOutcome(result: PushProductsResult): Outcome {
  if (result.outcome === 'refused') return { outcome: 'refused', ...NO_COUNTS, detail: `pass ${result.runningPass ?? '?'} was running` };
  return { outcome: 'pushed', read: result.listed, pushed: result.pushed, invalid: result.invalid, removed: null, detail: pushOutcomeWords(result) };
}

// ------------------------------------------------------------------------------------------- rendering

/** `850 ms`, `12 s`, `3 min 04 s`, `2 h 05 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Failure reasons can run long: the line shows their start, `--json` the whole. */
const OUTCOME_WIDTH = 72;

function outcomeText(pass: PassRecord): string {
  const text =
    pass.outcome === 'completed' || pass.outcome === 'running' ? pass.outcome : pass.outcome === 'pushed' ? pass.detail : `${pass.outcome}: ${pass.detail}`;
  const shown = escapeUnsafeCharacters(text.replace(/\s+/g, ' '));
  return shown.length > OUTCOME_WIDTH ? `${shown.slice(0, OUTCOME_WIDTH - 1)}…` : shown;
}

/** A header, then one line per pass, in columns. */
export function renderSyncHistory(passes: PassRecord[]): string[] {
  const count = (n: number | null) => (n === null ? '-' : n.toLocaleString('en-US'));
  const rows = passes.map((p) => [
    formatTime(p.startedAt, true),
    p.closedAt ? formatDuration(p.durationMs) : `${formatDuration(p.durationMs)} so far`,
    p.kind,
    count(p.read),
    count(p.pushed),
    count(p.invalid),
    count(p.removed),
    outcomeText(p),
    p.url,
  ]);
  const header = ['started', 'took', 'kind', 'read', 'pushed', 'invalid', 'removed', 'outcome', 'Web UI'];
  const numeric = new Set([3, 4, 5, 6]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

async function mapLimited<T, R>(items: T[], limit: number, body: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await body(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
