// How a workflow reads a failure: does a person have to fix something, and what do we tell them.
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { NEEDS_ATTENTION_ERROR_TYPES } from '../activities/contracts';

const needsAttentionTypes: readonly string[] = NEEDS_ATTENTION_ERROR_TYPES;

/** True when retrying alone cannot help: bad data, unknown SKU or customer, refused credentials. */
export function isNeedsAttention(error: Error): boolean {
  if (needsAttentionTypes.includes(error.name)) return true;
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure) return cause.nonRetryable || needsAttentionTypes.includes(cause.type ?? '');
  }
  return false;
}

/** The sentence a person reads in Stock2Shop and the Web UI. */
export function describeFailure(error: Error): string {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    if (cause instanceof TimeoutFailure) {
      const last = cause.cause?.message;
      return `gave up after the connection's retry window${last ? `; last error: ${last}` : ''}`;
    }
    if (cause) return cause.message;
  }
  return error.message;
}
