/** One list decides what a person must fix; an uncertain create is told apart from one that never happened. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { AuthenticationError, MalformedAnswerError, RejectedBySourceError, TransientError, UnconfirmedOrderError } from '../../connectors/errors';
import { DomainValidationError } from '../../domain';
import { NEEDS_ATTENTION_ERROR_TYPES } from '../../contracts/activities';
import { alwaysRetryable, isUncertainCreate, toActivityFailure, uncertainCreate } from '../../activities/failures';

const needsAttention = [
  new AuthenticationError('omni', 'createOrder', 'refused'),
  new RejectedBySourceError('omni', 'createOrder', 'Stock code X not found', { status: 422 }),
  new MalformedAnswerError('isync', 'findOrder', '(root)', 'not JSON'),
  new UnconfirmedOrderError('omni', 'findOrder', 'cannot confirm'),
  new DomainValidationError({ recordType: 'Order', record: 'W-1', field: 'line_items', reason: 'required' }),
];

test('every error a person must fix becomes a non-retryable failure of a type on the one list', () => {
  for (const error of needsAttention) {
    const failure = toActivityFailure(error) as ApplicationFailure;
    assert.equal(failure.nonRetryable, true, error.name);
    assert.ok((NEEDS_ATTENTION_ERROR_TYPES as readonly string[]).includes(failure.type ?? ''), error.name);
  }
  const transient = toActivityFailure(new TransientError('omni', 'listProducts', 'HTTP 503', { retryAfterMs: 1500 })) as ApplicationFailure;
  assert.equal(transient.nonRetryable, false);
  assert.equal(transient.type, 'TransientError');
  assert.equal(transient.nextRetryDelay, 1500);
});

test('a create that may have reached the source is uncertain; one that certainly did not is not', () => {
  const refused = new TransientError('omni', 'createOrder', 'unreachable (ECONNREFUSED)', { sourceUnreachable: true, notDelivered: true });
  const reset = new TransientError('omni', 'createOrder', 'unreachable (ECONNRESET)', { sourceUnreachable: true });
  const timeout = new TransientError('omni', 'createOrder', 'no answer within 30000 ms', { sourceUnreachable: true });
  const serverError = new TransientError('omni', 'createOrder', 'HTTP 502', { status: 502 });
  const rateLimited = new TransientError('omni', 'createOrder', 'HTTP 429', { status: 429, notDelivered: true });
  assert.deepEqual([refused, reset, timeout, serverError, rateLimited].map(isUncertainCreate), [false, true, true, true, false]);
  assert.equal(isUncertainCreate(new MalformedAnswerError('omni', 'createOrder', 'sales_order', 'required')), true, 'a garbled answer');
  assert.equal(isUncertainCreate(new RejectedBySourceError('omni', 'createOrder', 'Stock code X not found')), false);
  const failure = uncertainCreate('W-9', reset, 45_000);
  assert.equal(failure.type, 'UncertainCreateError');
  assert.equal(failure.nonRetryable, false);
  assert.equal(failure.nextRetryDelay, 45_000);
  assert.match(failure.message, /W-9 got no clear answer .*looking for it again in 45 s before any new create/);
});

test('a write-back retries whatever Stock2Shop answers', () => {
  const failure = alwaysRetryable(new RejectedBySourceError('stock2shop', 'writeSourceOrderCode', 'HTTP 400', { status: 400 }));
  assert.equal(failure.nonRetryable, false);
  assert.equal(failure.type, 'RejectedBySourceError');
});
