// How a workflow reads a failure: does a person have to fix something, and what do we tell them.
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/workflow';
import { NexusOperationFailure } from '@temporalio/common';
import { NEEDS_ATTENTION_ERROR_TYPES, SOURCE_UNREACHABLE_ERROR_TYPE, UNCERTAIN_CREATE_ERROR_TYPE, type RaiseEvidence } from '../contracts/activities';

const needsAttentionTypes: readonly string[] = NEEDS_ATTENTION_ERROR_TYPES;

/**
 * What the activity itself failed with. An activity task's failure reaches the workflow as an
 * ActivityFailure around it; a local activity's as that failure itself, unwrapped (its timeouts and
 * cancellations come wrapped, like an activity task's); a confined agent's, through its Nexus
 * operation, as that operation's failure around the activity's.
 */
function activityCause(error: unknown): Error | undefined {
  if (error instanceof NexusOperationFailure) {
    if (error.cause instanceof ActivityFailure) return error.cause.cause;
    return quickRaiseFailure(error) ?? error.cause;
  }
  if (error instanceof ActivityFailure) return error.cause;
  if (error instanceof ApplicationFailure || error instanceof TimeoutFailure) return error;
  return undefined;
}

/** A confined agent's quick raise (answered at once, without a backing run) failed: its failure, carried inside the operation's. */
function quickRaiseFailure(error: NexusOperationFailure): Error | undefined {
  const cause = error.cause;
  return cause instanceof ApplicationFailure && cause.type === 'OperationError' && cause.cause ? cause.cause : undefined;
}

/** A confined agent's endpoint refused the request itself (a grant it cannot verify: keys that do not match): no retry cures it. */
function refusedByEndpoint(error: unknown): boolean {
  if (!(error instanceof NexusOperationFailure) || quickRaiseFailure(error)) return false;
  return !(error.cause instanceof ActivityFailure || error.cause instanceof TimeoutFailure || error.cause instanceof CancelledFailure);
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
  if (needsAttentionTypes.includes(error.name) || refusedByEndpoint(error)) return true;
  if (lastCreateWasUncertain(error)) return true;
  if (isSourceUnreachable(error)) return false;
  const cause = activityCause(error);
  return cause instanceof ApplicationFailure && (cause.nonRetryable || needsAttentionTypes.includes(cause.type ?? ''));
}

/** What ended the attempt, as a person reads it, without a verdict ("the source stayed unreachable …"). */
export function whatEndedIt(error: Error): string {
  if (isSourceUnreachable(error)) return `the source stayed unreachable through the connection's retry window; last: ${activityCause(error)?.message}`;
  const cause = activityCause(error);
  if (cause instanceof TimeoutFailure) {
    const last = cause.cause?.message;
    return `the connection's retry window ran out${last ? `; last error: ${last}` : ''}`;
  }
  return (cause ?? error).message;
}

/** The sentence a person reads in Stock2Shop and the Web UI. */
export function describeFailure(error: Error): string {
  if (lastCreateWasUncertain(error)) {
    return (
      "cannot confirm whether the order exists in the source: its last create got no clear answer before the connection's " +
      'retry window ran out. A retry looks for it before creating anything'
    );
  }
  const cause = activityCause(error);
  if (isSourceUnreachable(error) || cause instanceof TimeoutFailure) return `not raised: ${whatEndedIt(error)}`;
  return (cause ?? error).message;
}

/**
 * What the raise knew of its creates when it failed (`RaiseEvidence`, its failure's first detail, or
 * its last heartbeat's when the window ran out on a heartbeat); undefined: it did not say.
 */
export function raiseEvidenceOf(error: unknown): RaiseEvidence | undefined {
  const cause = activityCause(error);
  const candidates: unknown[] = [];
  if (cause instanceof ApplicationFailure) candidates.push(cause.details?.[0]);
  if (cause instanceof TimeoutFailure) {
    if (cause.cause instanceof ApplicationFailure) candidates.push(cause.cause.details?.[0]);
    candidates.push(cause.lastHeartbeatDetails);
  }
  for (const candidate of candidates) {
    if (candidate === null || typeof candidate !== 'object') continue;
    const { createSentAt, source } = candidate as Partial<RaiseEvidence>;
    if (createSentAt === null || typeof createSentAt === 'number') return { createSentAt, source: typeof source === 'string' ? source : 'the source' };
  }
  return undefined;
}

/** The type of the activity's own failure (an ApplicationFailure's), if it has one. */
export function activityFailureType(error: unknown): string | undefined {
  const cause = activityCause(error);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** The innermost message of an activity's failure, as the activity put it. */
export function causeMessage(error: Error): string {
  return (activityCause(error) ?? error).message;
}
