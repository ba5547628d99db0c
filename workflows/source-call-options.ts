/**
 * The options of the calls that run beside a source (the raise, the product pages, the probe): the
 * same whether a central workflow schedules them on the source's queue or a confined agent's backing
 * workflow runs them in its client's namespace. Pure data: the agent's bundle imports it too.
 */
import { NEEDS_ATTENTION_ERROR_TYPES } from '../contracts/activities';
import type { AgentSourceCallInput } from '../contracts/agent-service';

type CallOptions = AgentSourceCallInput['options'];

/** The raise, with the connection's retry window. */
export function raiseCallOptions(orderRetryDays: number): CallOptions {
  return {
    // An attempt may wait (heartbeating) for a source that is down; the heartbeat notices a dead worker,
    // with room for an office internet line's hiccups.
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '60 seconds',
    // The retry window includes the time the task waits for an agent that is switched off.
    scheduleToCloseTimeout: `${orderRetryDays} days`,
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES] },
  };
}

/** A run of product pages, or the removed-products step, with the connection's page window. */
export function pageCallOptions(pageRetryMinutes: number): CallOptions {
  return {
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '60 seconds',
    // A page that keeps failing (a source down, a batch always refused, a bug) gives up after the
    // connection's page window, so the pass fails visibly instead of stalling its schedule forever.
    scheduleToCloseTimeout: `${pageRetryMinutes} minutes`,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: [...NEEDS_ATTENTION_ERROR_TYPES] },
  };
}

/** No retries: a probe that finds no worker (an agent switched off) or no answer is simply "still down". */
export const PROBE_CALL_OPTIONS: CallOptions = { scheduleToCloseTimeout: '1 minute', startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } };
