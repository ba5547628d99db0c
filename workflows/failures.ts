// How a workflow reads a failure: does a person have to fix something, and what do we tell them.
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { NEEDS_ATTENTION_ERROR_TYPES, SOURCE_UNREACHABLE_ERROR_TYPE, UNCERTAIN_CREATE_ERROR_TYPE } from '../activities/contracts';

const needsAttentionTypes: readonly string[] = NEEDS_ATTENTION_ERROR_TYPES;

/**
 * What the activity itself failed with. An activity task's failure reaches the workflow as an
 * ActivityFailure around it; a local activity's as that failure itself, unwrapped (its timeouts and
 * cancellations come wrapped, like an activity task's).
 */
function activityCause(error: unknown): Error | undefined {
  if (error instanceof ActivityFailure) return error.cause;
  if (error instanceof ApplicationFailure || error instanceof TimeoutFailure) return error;
  return undefined;
}

/** The retry window ran out right after a create that got no clear answer: the order may exist. */
function lastCreateWasUncertain(error: Error): boolean {
  const cause = activityCause(error);
  if (!(cause instanceof TimeoutFailure)) return false;
  return cause.cause instanceof ApplicationFailure && cause.cause.type === UNCERTAIN_CREATE_ERROR_TYPE;
}

/** The attempt ended because the source did not answer: the order waits for the connection's probe. */
export function isSourceUnreachable(error: unknown): boolean {
  const cause = activityCause(error);
  return cause instanceof ApplicationFailure && cause.type === SOURCE_UNREACHABLE_ERROR_TYPE;
}

/**
 * True when retrying alone cannot help: bad data, unknown SKU or customer, refused credentials, or
 * an order whose existence in the source nobody can confirm (a person looks before it is retried).
 */
export function isNeedsAttention(error: Error): boolean {
  if (needsAttentionTypes.includes(error.name)) return true;
  if (lastCreateWasUncertain(error)) return true;
  if (isSourceUnreachable(error)) return false;
  const cause = activityCause(error);
  return cause instanceof ApplicationFailure && (cause.nonRetryable || needsAttentionTypes.includes(cause.type ?? ''));
}

/** The sentence a person reads in Stock2Shop and the Web UI. */
export function describeFailure(error: Error): string {
  if (lastCreateWasUncertain(error)) {
    return (
      "cannot confirm whether the order exists in the source: its last create got no clear answer before the connection's " +
      'retry window ran out. A retry looks for it before creating anything'
    );
  }
  if (isSourceUnreachable(error)) {
    return `not raised: the source stayed unreachable through the connection's retry window; last: ${activityCause(error)?.message}`;
  }
  const cause = activityCause(error);
  if (cause instanceof TimeoutFailure) {
    const last = cause.cause?.message;
    return `not raised: gave up after the connection's retry window${last ? `; last error: ${last}` : ''}`;
  }
  return (cause ?? error).message;
}

/** The innermost message of an activity's failure, as the activity put it. */
export function causeMessage(error: Error): string {
  return (activityCause(error) ?? error).message;
}
