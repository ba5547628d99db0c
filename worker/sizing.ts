/**
 * How much work one worker process takes on at once: explicit, not the SDK's defaults, so memory and
 * load stay bounded as connections grow (docs/deploy.md has the figures behind the defaults).
 *
 *   WORKFLOW_CACHE_SIZE        workflows kept in memory between their tasks (central; default 200). An
 *                              evicted order replays its short history at its next task: memory stays
 *                              flat however many orders wait
 *   WORKFLOW_TASK_SLOTS        workflow tasks run at once (central; default 20)
 *   CENTRAL_ACTIVITY_SLOTS     Stock2Shop calls, polls and other central activities at once (default 50),
 *                              and as many local activities (an order's read and write-back)
 *   ISYNC_ACTIVITY_SLOTS       iSync calls at once, on their own task queue `isync` (default 50), so
 *                              an iSync outage, whose pages wait for the source, never holds the slots
 *                              the Stock2Shop write-backs and polls of every other connection need
 *   AGENT_ACTIVITY_SLOTS       an Omni agent's activities at once (default 20); the connection's
 *                              request limits bound the calls themselves
 */
export interface WorkerSizing {
  workflowCacheSize: number;
  workflowTaskSlots: number;
  centralActivitySlots: number;
  isyncActivitySlots: number;
  agentActivitySlots: number;
}

export const DEFAULT_SIZING: WorkerSizing = {
  workflowCacheSize: 200,
  workflowTaskSlots: 20,
  centralActivitySlots: 50,
  isyncActivitySlots: 50,
  agentActivitySlots: 20,
};

const VARIABLES: Record<keyof WorkerSizing, string> = {
  workflowCacheSize: 'WORKFLOW_CACHE_SIZE',
  workflowTaskSlots: 'WORKFLOW_TASK_SLOTS',
  centralActivitySlots: 'CENTRAL_ACTIVITY_SLOTS',
  isyncActivitySlots: 'ISYNC_ACTIVITY_SLOTS',
  agentActivitySlots: 'AGENT_ACTIVITY_SLOTS',
};

export function sizingFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerSizing {
  const sizing = { ...DEFAULT_SIZING };
  for (const key of Object.keys(VARIABLES) as (keyof WorkerSizing)[]) {
    const text = env[VARIABLES[key]];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${VARIABLES[key]} is '${text}': use a whole number, 1 or more`);
    sizing[key] = value;
  }
  return sizing;
}

/**
 * The old-space heap an Omni agent is run with (`node --max-old-space-size=128 …`): an agent sits on a
 * client's small office server, and without a cap V8 lets garbage pile up to about 400 MB during a
 * 100k-product pass before it collects; with it the agent peaks at about 260 MB at the same speed
 * (docs/benchmarks.md).
 */
export const AGENT_HEAP_LIMIT_MB = 128;

/**
 * How glibc's malloc is tuned in a worker process (`GLIBC_TUNABLES=… node …`; glibc reads it at process
 * start, so whatever starts the process sets it). A worker allocates from many threads (the SDK's Rust
 * core, the workflow thread, libuv's pool), and by default glibc gives them up to 8 arenas per core and
 * keeps what each arena once peaked at. Two arenas, and blocks of 128 KiB or more mapped on their own
 * (returned when freed), measured with 1,000 open orders after a burst: central worker 318–351 MB
 * instead of 395–399 MB, agents 185–224 MB instead of 306–354 MB, at the same CPU per order
 * (docs/benchmarks.md). Other allocators (macOS, musl) ignore it.
 */
export const WORKER_GLIBC_TUNABLES = 'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072';

/**
 * The node options a worker process starts with (before `--import tsx`): the workflow threads without
 * the SDK's per-promise stack traces (`worker/workflow-threads.cjs`; `WORKFLOW_STACK_TRACES=on` keeps them).
 */
export const WORKER_NODE_OPTIONS = ['--require', './worker/workflow-threads.cjs'] as const;

/** Whether this process was started with `WORKER_NODE_OPTIONS`'s preload (its workflow threads then run without per-promise stack traces). */
export function workflowStackTracesAdvice(execArgv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  if (env.WORKFLOW_STACK_TRACES === 'on' || execArgv.some((arg) => arg.endsWith('workflow-threads.cjs'))) return undefined;
  return (
    "the workflow threads record a stack trace at every promise (the SDK default), about a third of this worker's CPU per order; " +
    `start it with node ${WORKER_NODE_OPTIONS.join(' ')} (docs/deploy.md), or set WORKFLOW_STACK_TRACES=on to keep them on purpose`
  );
}

/** `env` for a worker process: glibc's malloc tuned as deployed unless `env` already sets GLIBC_TUNABLES. */
export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { GLIBC_TUNABLES: WORKER_GLIBC_TUNABLES, ...env };
}

/**
 * What a worker says at start when it runs on glibc without the tuning above (undefined when it has it,
 * or when its allocator is not glibc's): the operator sees why the process holds more than the figures
 * in docs/deploy.md.
 */
export function mallocTuningAdvice(env: NodeJS.ProcessEnv, glibcVersion: string | undefined): string | undefined {
  if (glibcVersion === undefined || env.GLIBC_TUNABLES !== undefined || env.MALLOC_ARENA_MAX !== undefined) return undefined;
  return (
    `GLIBC_TUNABLES is not set: glibc ${glibcVersion} may keep a malloc arena per thread, 50–130 MB more than this worker needs; ` +
    `start it with GLIBC_TUNABLES=${WORKER_GLIBC_TUNABLES} (docs/deploy.md, "glibc's malloc")`
  );
}

/** The glibc this process runs on, if any (node's diagnostic report names it). */
export function runtimeGlibcVersion(): string | undefined {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime;
}

/** At a deployed worker's start: the advice above, if it applies, as a warning (the stack traces' only where most of the work is workflows: the central worker). */
export function warnIfUntuned(logger: { warn(message: string): void }, { workflows }: { workflows: boolean }): void {
  const stackTraces = workflows ? workflowStackTracesAdvice(process.execArgv, process.env) : undefined;
  for (const advice of [mallocTuningAdvice(process.env, runtimeGlibcVersion()), stackTraces]) {
    if (advice) logger.warn(advice);
  }
}
