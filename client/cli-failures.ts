/**
 * Failures the CLI can read. A failure Temporal hands back (a query that failed on a worker) has its
 * message encrypted like any payload (temporal/failure-converter.ts): the gRPC status says only
 * `Encoded failure`, and the failure itself rides in the status details, which the SDK's client does
 * not decode. The CLI's connection decodes it with the CLI's key ring, so the error names the cause;
 * `explained` then adds what to do for the causes an operator can fix.
 */
import { InterceptingCall, status as GrpcStatus, type Interceptor, type StatusObject } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, isGrpcServiceError, makeGrpcRetryInterceptor, ServiceError } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { google, temporal } from '@temporalio/proto';

type ProtoFailure = temporal.api.failure.v1.IFailure;

const QUERY_FAILED_DETAIL = 'temporal.api.errordetails.v1.QueryFailedFailure';

/** The failure a gRPC status carries in its details (a failed query's), if any. */
export function failureOfStatus(metadata: StatusObject['metadata'] | undefined): ProtoFailure | undefined {
  const bytes = metadata?.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(bytes)) return undefined;
  for (const detail of google.rpc.Status.decode(bytes).details ?? []) {
    if (detail.type_url?.replace(/^type\.googleapis\.com\//, '') !== QUERY_FAILED_DETAIL || !detail.value) continue;
    return temporal.api.errordetails.v1.QueryFailedFailure.decode(detail.value).failure ?? undefined;
  }
  return undefined;
}

/** The message of a failure, its causes after it (`a: b`), decoded with the CLI's keys; or why it could not be. */
async function failureText(dataConverter: ReturnType<typeof loadDataConverter>, failure: ProtoFailure): Promise<string> {
  try {
    const messages: string[] = [];
    for (let error = await decodeOptionalFailureToOptionalError(dataConverter, failure); error; error = error.cause as Error | undefined) {
      if (error.message && !messages.includes(error.message)) messages.push(error.message);
    }
    return messages.join(': ');
  } catch (error) {
    return `Temporal answered with a failure this CLI cannot decrypt: ${(error as Error).message}`;
  }
}

/** Turns a status's encoded failure into its decoded message (the status's `details`, which the SDK's errors quote). */
function decodingInterceptor(dataConverter: DataConverter): Interceptor {
  const loaded = loadDataConverter(dataConverter);
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            const failure = status.code === GrpcStatus.OK ? undefined : failureOfStatus(status.metadata);
            if (!failure) return nextStatus(status);
            void failureText(loaded, failure).then((text) => nextStatus(text ? { ...status, details: text } : status));
          },
        });
      },
    });
}

/** The CLI's gRPC interceptors: failures decoded, then the SDK's usual retries. */
export function cliInterceptors(dataConverter: DataConverter): Interceptor[] {
  return [decodingInterceptor(dataConverter), makeGrpcRetryInterceptor(defaultGrpcRetryOptions())];
}

const MISSING_KEY = /key ring lacks key "([^"]+)"/;

/** What an error says: a service error's own words after the SDK's (`Failed to query Workflow: …`), and what to do when an operator can. */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof ServiceError ? error.cause : undefined;
  return explained(isGrpcServiceError(cause) && cause.details ? `${message}: ${cause.details}` : message);
}

/** An error's message with what to do, for a cause an operator can fix. */
export function explained(message: string): string {
  const missing = MISSING_KEY.exec(message);
  if (missing) {
    return (
      `${message.replace(/\.$/, '')}: put key "${missing[1]}" back in PAYLOAD_CODEC_KEYS (or the connection's PAYLOAD_CODEC_KEYS_<ID>), after the current key, ` +
      "for the workers and this CLI, and restart the workers; drop an old key only once the namespace's retention has passed since the rotation"
    );
  }
  return message;
}
