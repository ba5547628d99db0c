/**
 * Whether a patch can take its next step (`patched` → `deprecatePatch`, then gone), from what is
 * open: every open run of its workflow types is fetched from Temporal and replayed against this
 * checkout's workflow code with that step taken (a variant bundle). A run whose replay fails needs
 * the patch as it is. Closed runs are counted from visibility, and replayed too when asked.
 */
import type { Client } from '@temporalio/client';
import { IllegalStateError, type DataConverter } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { cachedWorkflowBundle, type WorkflowBundle } from '../worker/workflow-bundle';
import { variantWorkflowBundle } from '../worker/workflow-variants';
import { replayHistories, type NamedHistory } from '../worker/replay';
import { failureConverterPath } from '../temporal/data-converter';
import { patchAnswerEdits, type PatchInCode } from '../worker/patch-sites';

/** `deprecate`: each `patched` becomes `deprecatePatch`. `remove`: the patch goes, with its old branch and any `deprecatePatch`. */
export type PatchStep = 'deprecate' | 'remove';

export interface RunChecked {
  workflowId: string;
  runId: string;
  /** ISO time. */
  startTime: string;
  open: boolean;
}

export interface BlockingRun extends RunChecked {
  /**
   * `needs-patch`: it replays with this checkout's code, not with the step taken (it took the old
   * branch, or, for a removal, holds the marker `patched` recorded). `other-change`: it does not
   * replay with this checkout's code at all, patch or not.
   */
  why: 'needs-patch' | 'other-change';
  error: string;
}

export interface PatchVerdict {
  patchId: string;
  workflowType: string;
  /** Where the code asks it, e.g. `workflows/raiseOrder.ts`. */
  files: string[];
  step: PatchStep;
  /** No run checked would fail with the step taken. */
  ready: boolean;
  openRuns: number;
  blocking: BlockingRun[];
  closed: {
    /** Closed runs of the type the namespace still keeps. */
    total: number;
    /** Of those, the runs that recorded the patch's marker (`TemporalChangeVersion`), by `patched` or by `deprecatePatch`. */
    withMarker: number;
    /** Whether they were replayed (`--closed`) and are in `blocking` when they fail. */
    replayed: number | undefined;
    retentionDays: number | undefined;
  };
}

const quoted = (text: string) => `'${text.replaceAll("'", "\\'")}'`;

/** The replay worker's lifecycle lines and warnings would drown the verdict; a process that set up its own runtime keeps it. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch (error) {
    if (!(error instanceof IllegalStateError)) throw error;
  }
}

async function runsOf(client: Client, query: string, open: boolean): Promise<RunChecked[]> {
  const runs: RunChecked[] = [];
  for await (const execution of client.workflow.list({ query })) {
    runs.push({ workflowId: execution.workflowId, runId: execution.runId, startTime: execution.startTime.toISOString(), open });
  }
  return runs;
}

/** Each run's history, fetched as the replay asks for the next. */
async function* historiesOf(client: Client, runs: RunChecked[]): AsyncIterable<NamedHistory> {
  for (const run of runs) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    yield { name: run.runId, workflowId: run.workflowId, history };
  }
}

/** Core's own message (`[TMPRL1100] Nondeterminism error: …`) out of the replay's wrapping, with the event it names. */
function shortError(error: Error): string {
  const core = /message: "((?:[^"\\]|\\.)*)"/.exec(error.message)?.[1];
  const event = /\[event \d+ in history: [^\]]*\]$/.exec(error.message)?.[0];
  return core ? `${core}${event ? ` ${event}` : ''}` : error.message.split('\n')[0]!;
}

/** The runs among `runs` that fail replay against `bundle`, each with its error. */
async function failingRuns(client: Client, bundle: WorkflowBundle, runs: RunChecked[], dataConverter: DataConverter): Promise<Map<string, string>> {
  const outcomes = await replayHistories(bundle, historiesOf(client, runs), dataConverter);
  return new Map(outcomes.flatMap(({ name, error }) => (error ? [[name, shortError(error)] as const] : [])));
}

async function retentionDaysOf(client: Client): Promise<number | undefined> {
  try {
    const described = await client.workflowService.describeNamespace({ namespace: client.options.namespace });
    const seconds = Number(String(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0));
    return seconds > 0 ? seconds / 86_400 : undefined;
  } catch {
    return undefined; // not this client's to read: the count still stands
  }
}

export interface CheckOptions {
  step: PatchStep;
  /** Replay the closed runs the namespace keeps too (a history fetch each). */
  closed?: boolean;
}

/** The verdict for each workflow type the patch is in. */
export async function checkPatch(client: Client, patch: PatchInCode, { step, closed = false }: CheckOptions): Promise<PatchVerdict[]> {
  const dataConverter = client.options.dataConverter;
  let variant: Promise<WorkflowBundle> | undefined;
  const stepped = () => (variant ??= variantWorkflowBundle(`${step}-${patch.id}`, patchAnswerEdits(patch, step === 'deprecate' ? 'deprecated' : 'removed')));
  const retentionDays = await retentionDaysOf(client);
  const verdicts: PatchVerdict[] = [];
  for (const workflowType of patch.workflowTypes) {
    const ofType = `WorkflowType = ${quoted(workflowType)}`;
    const closedQuery = `${ofType} AND ExecutionStatus != 'Running'`;
    const [open, closedRuns, closedTotal, closedWithMarker] = await Promise.all([
      runsOf(client, `${ofType} AND ExecutionStatus = 'Running'`, true),
      closed ? runsOf(client, closedQuery, false) : Promise.resolve<RunChecked[]>([]),
      client.workflow.count(closedQuery),
      client.workflow.count(`${closedQuery} AND TemporalChangeVersion = ${quoted(patch.id)}`),
    ]);
    const runs = [...open, ...closedRuns];
    const blocking: BlockingRun[] = [];
    if (runs.length > 0) {
      quietRuntime();
      const failed = await failingRuns(client, await stepped(), runs, dataConverter);
      const failedRuns = runs.filter((run) => failed.has(run.runId));
      // A run that fails this checkout's own code too fails for another reason than the patch.
      const failsAsIs =
        failedRuns.length === 0
          ? new Map<string, string>()
          : await failingRuns(client, await cachedWorkflowBundle(require.resolve('../workflows'), failureConverterPath), failedRuns, dataConverter);
      for (const run of failedRuns) {
        const asIs = failsAsIs.get(run.runId);
        blocking.push({ ...run, why: asIs ? 'other-change' : 'needs-patch', error: asIs ?? failed.get(run.runId)! });
      }
    }
    blocking.sort((a, b) => a.startTime.localeCompare(b.startTime));
    verdicts.push({
      patchId: patch.id,
      workflowType,
      files: [...new Set(patch.calls.map((call) => call.file))],
      step,
      ready: blocking.length === 0,
      openRuns: open.length,
      blocking,
      closed: { total: closedTotal.count, withMarker: closedWithMarker.count, replayed: closed ? closedRuns.length : undefined, retentionDays },
    });
  }
  return verdicts;
}
