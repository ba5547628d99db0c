/**
 * The defences of the order webhook, before anything is parsed: the body is read up to a limit and
 * a deadline, and its HMAC-SHA256 signature (over "<timestamp>.<raw body>", with a secret shared
 * with Stock2Shop per source) is checked in constant time against a timestamp no more than five
 * minutes away. Each failure is a status and a reason for the log; the caller learns nothing more.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SIGNATURE_HEADER = 'x-stock2shop-signature';
export const TIMESTAMP_HEADER = 'x-stock2shop-timestamp';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export interface Rejection {
  status: 400 | 401 | 408 | 413;
  reason: string;
}

export type BodyRead = { ok: true; body: Buffer } | ({ ok: false } & Rejection);

/** Reads the body, stopping at `maxBytes` (413) or when the client is slower than `timeoutMs` (408). */
export function readBodyWithin(request: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyRead> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
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

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The secrets (of `candidates`) whose signature matches, or a rejection. Every candidate is checked,
 * so the time taken does not tell which one matched.
 */
export function verifySignature(
  headers: IncomingMessage['headers'],
  body: Buffer,
  candidates: readonly string[],
  nowSeconds: number,
): { ok: true; secrets: string[] } | ({ ok: false } & Rejection) {
  const signature = headers[SIGNATURE_HEADER];
  const timestamp = headers[TIMESTAMP_HEADER];
  if (typeof signature !== 'string' || typeof timestamp !== 'string') return { ok: false, status: 401, reason: 'unsigned' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 401, reason: 'malformed timestamp' };
  const skew = nowSeconds - Number(timestamp);
  if (skew > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, status: 401, reason: `stale timestamp (${skew} s old): replay refused` };
  if (skew < -SIGNATURE_TOLERANCE_SECONDS) return { ok: false, status: 401, reason: `timestamp ${-skew} s in the future: refused` };
  const matching = candidates.filter((secret) => sameText(signatureOf(secret, timestamp, body), signature));
  return matching.length > 0 ? { ok: true, secrets: matching } : { ok: false, status: 401, reason: 'wrong signature' };
}
