/**
 * What the payload codec hands on in place of a payload it refused: plain text where the engine
 * expects ciphertext, or ciphertext that is not this payload's owner's. Never trusted input: the
 * interceptors (workflows/interceptors.ts, activities/interceptors.ts) end or drop whatever carries it.
 */
export const REFUSED_PAYLOAD_FIELD = '$refusedPayload';

export const REFUSED_PAYLOAD_ERROR_TYPE = 'RefusedPayloadError';

export interface RefusedPayload {
  [REFUSED_PAYLOAD_FIELD]: string;
}

export function isRefusedPayload(value: unknown): value is RefusedPayload {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[REFUSED_PAYLOAD_FIELD] === 'string';
}

/** The first refused value among `args`, if any. */
export function refusedAmong(args: readonly unknown[]): RefusedPayload | undefined {
  return args.find(isRefusedPayload);
}

/** The one sentence every refusal says, so an operator can grep the logs for it. */
export function refusalSentence(reason: string, owner: string): string {
  return `security: refused a payload that was ${reason} (${owner})`;
}
