/**
 * When a local activity hands its Stock2Shop call over to an activity task: while a call of the same
 * account has waited over a second, or for a while after one was slow or failed as retries could
 * cure; never for a refusal or a call its own activity cancelled, and never for another account.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { Stock2ShopLatency, SLOW_CALL_MS, SLOW_FOR_MS } from '../../activities/stock2shop-latency';
import { RejectedBySourceError, TransientError } from '../../connectors/errors';
import { STOCK2SHOP_SLOW_ERROR_TYPE } from '../../contracts/activities';

function clocked() {
  let now = 1_000_000;
  const latency = new Stock2ShopLatency(() => now);
  return { latency, advance: (ms: number) => (now += ms) };
}

test('a call in flight for over a second makes its account slow, and only its account', async () => {
  const { latency, advance } = clocked();
  let answer!: () => void;
  const call = latency.time('acme', () => new Promise<void>((resolve) => (answer = resolve)));
  advance(SLOW_CALL_MS - 1);
  assert.equal(latency.slowness('acme'), undefined, 'not yet');
  advance(2);
  assert.match(latency.slowness('acme') ?? '', /has been waiting/);
  assert.equal(latency.slowness('bravo'), undefined);
  assert.throws(
    () => latency.handOverIfSlow('acme'),
    (error: unknown) => error instanceof ApplicationFailure && error.type === STOCK2SHOP_SLOW_ERROR_TYPE && error.nonRetryable === false,
  );
  answer();
  await call;
  assert.match(latency.slowness('acme') ?? '', /was slow or failed/, 'it answered slowly: still slow for a while');
  advance(SLOW_FOR_MS + 1);
  assert.equal(latency.slowness('acme'), undefined, 'and then not');
});

test('a transient failure makes the account slow; a refusal or a cancelled call does not', async () => {
  for (const [what, error, slow] of [
    ['503', new TransientError('stock2shop', 'getOrder', 'HTTP 503', { sourceUnreachable: false }), true],
    ['400', new RejectedBySourceError('stock2shop', 'writeSourceOrderCode', 'refused', { status: 400 }), false],
    [
      'cancelled',
      new TransientError('stock2shop', 'getOrder', 'request failed (ERR_CANCELED)', {
        sourceUnreachable: false,
        cause: Object.assign(new Error('canceled'), { code: 'ERR_CANCELED' }),
      }),
      false,
    ],
  ] as const) {
    const { latency } = clocked();
    await assert.rejects(latency.time('acme', () => Promise.reject(error)));
    assert.equal(latency.slowness('acme') !== undefined, slow, what);
  }
});
