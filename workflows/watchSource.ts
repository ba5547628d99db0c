import { probeCall } from './agent-calls';
import {
  continueAsNew,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NEEDS_ATTENTION_ERROR_TYPES } from '../contracts/activities';
import { CENTRAL_TASK_QUEUE } from '../domain/task-queues';
import { registerWaiterSignal, sourceAvailableSignal, type WatchSourceInput } from '../contracts/workflows';

const { describeConnection } = proxyActivities<Activities>({
  taskQueue: CENTRAL_TASK_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES] },
});

/** Probes continued as new after this many, so the history stays small through a long outage. */
const PROBES_PER_RUN = 500;
/** Waking orders that find their source still down doubles the wait before the next probe, up to 2^7 times… */
const MAX_BACKOFF_DOUBLINGS = 7;
/** …and never past 10 minutes (the raise's own longest retry interval). */
const MAX_PROBE_INTERVAL_MS = 10 * 60 * 1000;

/** The wait before the next probe: the connection's interval, doubled for each futile wake of the waiting orders. */
export function probeIntervalMs(sourceProbeSeconds: number, futileWakes: number): number {
  const doublings = Math.min(Math.max(0, futileWakes), MAX_BACKOFF_DOUBLINGS);
  const base = sourceProbeSeconds * 1000;
  return doublings === 0 ? base : Math.max(base, Math.min(MAX_PROBE_INTERVAL_MS, base * 2 ** doublings));
}

/**
 * Waiting orders signalled together, in one workflow task: far below the server's limit on a run's
 * pending signals (2,000 by default), and 200 events of history per batch.
 */
const WAKE_AT_ONCE = 100;

function wake(workflowId: string): Promise<void> {
  return getExternalWorkflowHandle(workflowId)
    .signal(sourceAvailableSignal)
    .catch((error: Error) => log.info('A waiting order is gone', { workflowId, error: error.message }));
}

/**
 * One per connection while its source is down: a single probe every `sourceProbeSeconds` stands in
 * for every waiting order, and the first answer wakes them all. Started by the first order that
 * finds the source down, ended once no order waits.
 */
export async function watchSource(input: WatchSourceInput): Promise<{ woken: number; probes: number }> {
  const waiters = new Set(input.waiters);
  const futile = new Map(Object.entries(input.futileWakes ?? {}));
  setHandler(registerWaiterSignal, ({ workflowId, futileWakes }) => {
    waiters.add(workflowId);
    if (futileWakes) futile.set(workflowId, futileWakes);
    else futile.delete(workflowId);
  });
  const profile = await describeConnection(input.connectionId);
  const interval = () => probeIntervalMs(profile.sourceProbeSeconds, Math.max(0, ...[...waiters].map((id) => futile.get(id) ?? 0)));
  // A new run (the first order to find the source down, or orders woken in vain that register again)
  // waits one interval before it probes: a source that just failed is not asked again at once.
  if (patched('watch-waits-before-first-probe')) await sleep(interval());
  const probeSource = probeCall(profile);
  let woken = 0;
  for (let probes = 1; ; probes++) {
    setCurrentDetails(`${waiters.size} order(s) waiting for the source of ${input.connectionId}; probe ${probes} of this run`);
    const reachable = await probeSource(input.connectionId).catch(() => false);
    if (reachable) {
      const toWake = [...waiters];
      waiters.clear();
      for (const id of toWake) futile.delete(id);
      if (patched('wake-waiters-together')) {
        for (let start = 0; start < toWake.length; start += WAKE_AT_ONCE) await Promise.all(toWake.slice(start, start + WAKE_AT_ONCE).map(wake));
      } else {
        // Before the patch: one signal per workflow task, so 200 waiting orders took 200 round trips.
        for (const workflowId of toWake) await wake(workflowId);
      }
      woken += toWake.length;
      // Orders that joined while these were woken get a probe of their own; with none, the watch ends.
      if (waiters.size === 0) {
        await condition(allHandlersFinished);
        if (waiters.size === 0) return { woken, probes };
      }
      continue;
    }
    if (probes >= PROBES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      const carried = Object.fromEntries([...futile].filter(([id]) => waiters.has(id)));
      await continueAsNew<typeof watchSource>({
        connectionId: input.connectionId,
        waiters: [...waiters],
        ...(Object.keys(carried).length > 0 ? { futileWakes: carried } : {}),
      });
    }
    await sleep(interval());
  }
}
