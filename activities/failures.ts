// Turns what connectors and the domain throw into the failures Temporal retries, or does not.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { ConnectorError, SYSTEM_LABEL, TransientError } from '../connectors/errors';
import { setAmbientCancellation } from '../connectors/http';
import { DomainValidationError, type Connection } from '../domain';
import { NEEDS_ATTENTION_ERROR_TYPES, SOURCE_UNREACHABLE_ERROR_TYPE, UNCERTAIN_CREATE_ERROR_TYPE } from '../contracts/activities';

const needsAttentionTypes: readonly string[] = NEEDS_ATTENTION_ERROR_TYPES;

export function toActivityFailure(error: unknown): Error {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof ConnectorError || error instanceof DomainValidationError) {
    if (needsAttentionTypes.includes(error.name)) {
      return ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: true });
    }
    return ApplicationFailure.create({
      type: 'TransientError',
      message: error.message,
      nonRetryable: false,
      ...(error instanceof TransientError && error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function currentActivityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // not in an activity
  }
}

// Every connector call made by an activity stops when the activity is cancelled (worker shutdown).
setAmbientCancellation(currentActivityCancellation);

/**
 * Runs an activity body and rethrows its failure in the form Temporal acts on. An activity cancelled
 * under it (its worker shutting down past the grace time) ends as cancelled, so the server hands it to
 * another worker; only a create that may have happened keeps its own failure, which makes the next
 * attempt wait for the source's commit and look for the order before any create.
 */
export async function asActivity<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const failure = toActivityFailure(error);
    const cancellation = currentActivityCancellation();
    const uncertainCreate = failure instanceof ApplicationFailure && failure.type === UNCERTAIN_CREATE_ERROR_TYPE;
    if (cancellation?.aborted && !uncertainCreate && !(failure instanceof CancelledFailure)) {
      throw new CancelledFailure(`cancelled (${String(cancellation.reason ?? 'cancelled')}) during: ${failure.message}`);
    }
    throw failure;
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

/**
 * A connection the file holds but that does not validate (`message` names it and the field): a
 * person fixes the file, which applies without a restart. Needs attention, like any invalid record.
 */
export function invalidConnection(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'DomainValidationError',
    message: `${message} (the connection is skipped until its entry in the connections file is fixed)`,
    nonRetryable: true,
  });
}

/**
 * Did this failed create perhaps create the document? Only a request that certainly never reached
 * the source (no connection, 429), or that the source refused outright (4xx, login), did not.
 */
export function isUncertainCreate(error: unknown): boolean {
  if (error instanceof TransientError) return !error.notDelivered;
  return error instanceof ConnectorError && error.kind === 'malformed';
}

/** The failure of an uncertain create: retried after `commitDelayMs`, by a find first. */
export function uncertainCreate(channelOrderCode: string, error: Error, commitDelayMs: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: UNCERTAIN_CREATE_ERROR_TYPE,
    message:
      `the create of order ${channelOrderCode} got no clear answer (${error.message}); ` +
      `looking for it again in ${Math.round(commitDelayMs / 1000)} s before any new create`,
    nonRetryable: false,
    nextRetryDelay: commitDelayMs,
  });
}

/** The same failure, retryable whatever its kind: for work that must go on until it succeeds. */
export function alwaysRetryable(error: unknown): ApplicationFailure {
  const failure = toActivityFailure(error);
  const type = failure instanceof ApplicationFailure ? (failure.type ?? 'Error') : failure.name;
  return ApplicationFailure.create({ type, message: failure.message, nonRetryable: false });
}

/** The source did not answer: the attempt ends now, and the order waits for the connection's probe. */
export function sourceUnreachable(connection: Pick<Connection, 'id' | 'sourceKind'>, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: SOURCE_UNREACHABLE_ERROR_TYPE,
    message: `${SYSTEM_LABEL[connection.sourceKind]} of ${connection.id} is unreachable (${why})`,
    nonRetryable: true,
  });
}
