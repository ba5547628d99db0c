/**
 * The defences of the order webhook, cheapest first: the headers are checked before a byte of the body
 * is read (signed, a timestamp no more than five minutes away, a source with a secret); then the body is
 * read up to a limit and a deadline, and its HMAC-SHA256 signature (over "<timestamp>.<raw body>", with
 * the one secret of the source the call names) is checked in constant time. Each failure is a status
 * and a reason for the log; the caller learns nothing more.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SIGNATURE_HEADER = 'x-stock2shop-signature';
export const TIMESTAMP_HEADER = 'x-stock2shop-timestamp';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export interface Rejection {
  status: 400 | 401 | 404 | 408 | 413 | 503;
  reason: string;
}

export type BodyRead = { ok: true; body: Buffer } | ({ ok: false } & Rejection);

/** The size a call declares (`content-length`), or undefined for a chunked body. */
export function declaredLength(request: IncomingMessage): number | undefined {
  const declared = Number(request.headers['content-length']);
  return Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
}

/** Reads the body, stopping at `maxBytes` (413) or when the client is slower than `timeoutMs` (408); never buffers more than `maxBytes`. */
export function readBodyWithin(request: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyRead> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > maxBytes) {
    return Promise.resolve({ ok: false, status: 413, reason: `declared body of ${declared} bytes is over the limit of ${maxBytes}` });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (result: BodyRead) => {
      clearTimeout(timer);
      request.removeAllListeners('data');
      request.removeAllListeners('end');
      if (!result.ok) request.pause();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, status: 408, reason: `body not received within ${timeoutMs} ms (${received} bytes arrived)` }),
      timeoutMs,
    );
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return finish({ ok: false, status: 413, reason: `body over the limit of ${maxBytes} bytes` });
      chunks.push(chunk);
    });
    request.on('end', () => finish({ ok: true, body: Buffer.concat(chunks) }));
    request.on('error', () => finish({ ok: false, status: 400, reason: 'the request broke off' }));
  });
}

export function signatureOf(secret: string, timestamp: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export interface SignedHeaders {
  signature: string;
  timestamp: string;
}

const SIGNATURE_FORM = /^sha256=[0-9a-f]{64}$/;

/** The cheap checks, on the headers alone: signed, in the expected form, at a time within the tolerance. */
export function checkSignedHeaders(headers: IncomingMessage['headers'], nowSeconds: number): ({ ok: true } & SignedHeaders) | ({ ok: false } & Rejection) {
  const signature = headers[SIGNATURE_HEADER];
  const timestamp = headers[TIMESTAMP_HEADER];
  if (typeof signature !== 'string' || typeof timestamp !== 'string') return { ok: false, status: 401, reason: 'unsigned' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 401, reason: 'malformed timestamp' };
  if (!SIGNATURE_FORM.test(signature)) return { ok: false, status: 401, reason: 'malformed signature' };
  const skew = nowSeconds - Number(timestamp);
  if (skew > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, status: 401, reason: `stale timestamp (${skew} s old): replay refused` };
  if (skew < -SIGNATURE_TOLERANCE_SECONDS) return { ok: false, status: 401, reason: `timestamp ${-skew} s in the future: refused` };
  return { ok: true, signature, timestamp };
}

/** One HMAC, with the one secret of the source the call names, compared in constant time. */
export function signatureMatches(secret: string, signed: SignedHeaders, body: Buffer): boolean {
  const expected = Buffer.from(signatureOf(secret, signed.timestamp, body));
  const presented = Buffer.from(signed.signature);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}
