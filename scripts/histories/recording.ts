/**
 * What every recording phase of `npm run histories:record` shares: saving a closed run's history
 * (and what it exercised, in test/histories/manifest.json), running a phase on a stack with a
 * deadline, and the order helpers the phases wait with.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { raiseOrderWorkflowId } from '../../domain';
import { progressQuery, statusQuery, type OrderStatus } from '../../contracts/workflows';
import { OMNI_CONNECTION_ID, startStack, type Stack, type StackOptions } from '../../test/helpers/stack';
import { waitFor } from '../../test/helpers/orders';
import { historyToJSONText, HISTORY_MANIFEST_FILE, type HistoryManifest, type RECORDED_HISTORIES } from '../../test/helpers/replay';
import { variantWorkflowBundle } from '../../worker/workflow-variants';
import { patchAnswerEdits, patchesInWorkflows } from '../../worker/patch-sites';
import type { WorkflowBundle } from '../../worker/workflow-bundle';
import { DEFAULT_SIZING } from '../../worker/sizing';

export type HistoryName = (typeof RECORDED_HISTORIES)[number];

const projectRoot = resolve(__dirname, '..', '..');
const outputDir = join(projectRoot, 'test', 'histories');

/** The queries of each workflow type: each is asked of a run before its history is saved, and the manifest says so. */
const QUERIES_OF: Record<string, { name: string; ask(handle: WorkflowHandle): Promise<unknown> }[]> = {
  raiseOrder: [{ name: statusQuery.name, ask: (handle) => handle.query(statusQuery) }],
  productSync: [{ name: progressQuery.name, ask: (handle) => handle.query(progressQuery) }],
};

export const recording = {
  step: 'starting',
  written: [] as string[],
  /** `npm run histories:record -- <name>…` writes only those files (every path still runs); none: every file. */
  only: process.argv.slice(2).map((arg) => arg.replace(/\.json$/, '')),
};

function readManifest(): HistoryManifest {
  return existsSync(HISTORY_MANIFEST_FILE) ? (JSON.parse(readFileSync(HISTORY_MANIFEST_FILE, 'utf8')) as HistoryManifest) : {};
}

/**
 * Saves the run's history, after checking it is closed; asks the run each query of its type (a query
 * of a closed run replays it) and notes them in the manifest, with the patches the run started before.
 */
export async function save(name: HistoryName, handle: WorkflowHandle, options: { startedBefore?: string[] } = {}): Promise<void> {
  recording.step = `saving ${name}`;
  if (recording.only.length > 0 && !recording.only.includes(name)) return;
  const { status, type } = await handle.describe();
  assert.notEqual(status.name, 'RUNNING', `${name}: the run ${handle.workflowId} is still open`);
  const history = await handle.fetchHistory();
  const events = history.events?.length ?? 0;
  assert.ok(events > 0, `${name}: an empty history`);
  const queries: string[] = [];
  // A run that continued as new answers queries from its last run only; its own history is what is saved here.
  if (status.name !== 'CONTINUED_AS_NEW') {
    for (const query of QUERIES_OF[type] ?? []) {
      await query.ask(handle);
      queries.push(query.name);
    }
  }
  const file = join(outputDir, `${name}.json`);
  const text = `${historyToJSONText(history)}\n`;
  writeFileSync(file, text);
  const manifest = readManifest();
  manifest[name] = { workflowType: type, queries, ...(options.startedBefore ? { startedBefore: options.startedBefore } : {}) };
  writeFileSync(HISTORY_MANIFEST_FILE, `${JSON.stringify(Object.fromEntries(Object.entries(manifest).sort()), null, 2)}\n`);
  recording.written.push(file);
  process.stdout.write(`wrote ${relative(projectRoot, file)} (${handle.workflowId}, ${status.name}, ${events} events, ${text.length} bytes)\n`);
}

/** A phase that takes longer than this is stuck: it fails, naming its last step, instead of hanging. */
const PHASE_DEADLINE_MS = 5 * 60_000;

/** The workers a phase runs: the central one (current code, or a variant) and the Omni agent. */
export interface PhaseWorkers {
  /** Starts the central worker on `bundle` (none: this checkout's code), with no workflow cache. */
  startCentral(bundle?: WorkflowBundle): Promise<void>;
  /** Stops the central worker (its runs' next tasks wait for the next one). */
  stopCentral(): Promise<void>;
  /** Both: a deploy of other code in the middle of a run. */
  switchCentral(bundle?: WorkflowBundle): Promise<void>;
  /**
   * Stops every worker, then runs `meanwhile`, then starts them again (the central one on `bundle`). On
   * the time-skipping server a worker can stop only while time can pass (no task waiting), so a phase
   * that lets a timer fire with no worker stops them all first.
   */
  withoutWorkers(meanwhile: () => Promise<void>, bundle?: WorkflowBundle): Promise<void>;
}

/** Runs `body` with a stack and both workers on `env` (the central one on `firstBundle`), then stops them and the server. */
export async function withEngine(
  env: TestWorkflowEnvironment,
  options: StackOptions,
  body: (stack: Stack, workers: PhaseWorkers) => Promise<void>,
  firstBundle?: WorkflowBundle,
): Promise<void> {
  let stack: Stack | undefined;
  let agent: { worker: Worker; done: Promise<void> } | undefined;
  let central: { worker: Worker; done: Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = async (entry: { worker: Worker; done: Promise<void> } | undefined) => {
    if (!entry) return;
    if (entry.worker.getState() === 'RUNNING') entry.worker.shutdown();
    await entry.done.catch(() => undefined);
  };
  try {
    stack = await startStack(env, options);
    const started = stack;
    const workers: PhaseWorkers = {
      async startCentral(bundle) {
        // No workflow cache: a run's next task goes to the next central worker at once, not to a stopped worker's sticky queue.
        const worker = await started.startCentralWorker({ ...(bundle ? { workflowBundle: bundle } : {}), sizing: { ...DEFAULT_SIZING, workflowCacheSize: 0 } });
        central = { worker, done: worker.run() };
      },
      async stopCentral() {
        await stop(central);
        central = undefined;
      },
      async switchCentral(bundle) {
        await workers.stopCentral();
        await workers.startCentral(bundle);
      },
      async withoutWorkers(meanwhile, bundle) {
        await workers.stopCentral();
        await stop(agent);
        await meanwhile();
        await workers.startCentral(bundle);
        const agentWorker = await started.startAgentWorker();
        agent = { worker: agentWorker, done: agentWorker.run() };
      },
    };
    await workers.startCentral(firstBundle);
    const agentWorker = await started.startAgentWorker();
    agent = { worker: agentWorker, done: agentWorker.run() };
    await Promise.race([
      body(started, workers),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`stuck for ${PHASE_DEADLINE_MS / 1000} s at: ${recording.step}`)), PHASE_DEADLINE_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await stop(central);
    await stop(agent);
    await stack?.close();
    await env.teardown();
  }
}

/** The runs of a workflow id, oldest first, back through continue-as-new from its latest. */
export async function runChainOf(env: TestWorkflowEnvironment, workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    runs.unshift(runId);
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  return runs;
}

/** This checkout's workflow code as it was before `patchId`: every ask of it answered no. */
export function codeBefore(patchId: string): Promise<WorkflowBundle> {
  const patch = patchesInWorkflows().find((p) => p.id === patchId);
  if (!patch) throw new Error(`No patch '${patchId}' in workflows/`);
  return variantWorkflowBundle(`before-${patchId}`, patchAnswerEdits(patch, 'absent'));
}

export function orderHelpers(env: TestWorkflowEnvironment, stack: Stack) {
  const handleOf = (code: string) => env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code));
  const documentsFor = (code: string) => stack.omni.orders().filter((d: { reference: string }) => d.reference === code);
  const until = (code: string, what: string, test: (s: OrderStatus) => boolean) =>
    waitFor(async () => {
      const status = await handleOf(code).query(statusQuery);
      return test(status) ? status : undefined;
    }, `order ${code}: ${what}`);
  /** Needs attention, and its failure written back: the run waits in its 30-day condition, with no activity pending. */
  const untilWaitingForFix = async (code: string) => {
    await until(code, 'needs attention', (s) => s.state === 'needs_attention' || s.state === 'failed');
    await waitFor(async () => {
      const { raw } = await handleOf(code).describe();
      return (raw.pendingActivities?.length ?? 0) === 0 && stack.stock2shop.order(code).failure_reason ? true : undefined;
    }, `order ${code}: the failure written back`);
  };
  const untilWaitingForSource = (code: string) => until(code, 'waiting for its source', (s) => s.waitingForSource === true);
  const raised = async (code: string, expect: Partial<OrderStatus> = {}) => {
    const result = (await handleOf(code).result()) as OrderStatus;
    assert.equal(result.state, 'raised', `${code} raised`);
    for (const [key, value] of Object.entries(expect)) assert.deepEqual(result[key as keyof OrderStatus], value, `${code}: ${key}`);
    assert.equal(documentsFor(code).length, 1, `${code}: one document in the source`);
    return result;
  };
  return { handleOf, documentsFor, until, untilWaitingForFix, untilWaitingForSource, raised };
}
