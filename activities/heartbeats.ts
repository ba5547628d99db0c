import { Context } from '@temporalio/activity';
import type { WaitHooks } from './source-guard';

/**
 * Heartbeats every few seconds while `body` runs (a slow answer from a source is not a dead worker),
 * so the heartbeat timeout can stay short and a killed worker's task is retried elsewhere quickly.
 */
export async function withHeartbeats<T>(body: (beat: (details: Record<string, unknown>) => void) => Promise<T>): Promise<T> {
  const context = Context.current();
  // The ticker repeats the latest details, so the pending activity always says where it stands.
  let latest: Record<string, unknown> | undefined;
  const beat = (details: Record<string, unknown>) => {
    latest = details;
    context.heartbeat(details);
  };
  const ticker = setInterval(() => context.heartbeat(latest), 5_000);
  try {
    return await body(beat);
  } finally {
    clearInterval(ticker);
  }
}

/** While a guard waits out an outage: the pending activity says so, and sleeps cancellably. */
export const whileWaiting = (beat: (details: Record<string, unknown>) => void): WaitHooks => ({
  onWait: (details) => beat({ waitingForSource: true, ...details }),
  sleep: (ms) => Context.current().sleep(ms),
});
