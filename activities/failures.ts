// Turns what connectors and the domain throw into the failures Temporal retries, or does not.
import { ApplicationFailure } from '@temporalio/common';
import { AuthenticationError, ConnectorError, MalformedAnswerError, RejectedBySourceError, TransientError } from '../connectors/errors';
import { DomainValidationError } from '../domain';

export function toActivityFailure(error: unknown): Error {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof TransientError) {
    return ApplicationFailure.create({
      type: 'TransientError',
      message: error.message,
      nonRetryable: false,
      nextRetryDelay: error.retryAfterMs,
    });
  }
  const needsAttention =
    error instanceof AuthenticationError ||
    error instanceof RejectedBySourceError ||
    error instanceof MalformedAnswerError ||
    error instanceof DomainValidationError;
  if (needsAttention) {
    return ApplicationFailure.create({ type: error.constructor.name, message: error.message, nonRetryable: true });
  }
  if (error instanceof ConnectorError) return ApplicationFailure.create({ type: 'TransientError', message: error.message });
  return error instanceof Error ? error : new Error(String(error));
}

/** Runs an activity body and rethrows its failure in the form Temporal acts on. */
export async function asActivity<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error);
  }
}

/** A connection id that no configuration knows: fixing the configuration is the only cure. */
export function unknownConnection(connectionId: string, known: string[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'UnknownConnectionError',
    message: `Unknown connection '${connectionId}'. Configured connections: ${known.join(', ') || 'none'}`,
    nonRetryable: true,
  });
}
