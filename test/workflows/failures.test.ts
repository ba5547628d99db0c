/**
 * How raiseOrder reads an activity's failure. An activity task's failure reaches the workflow wrapped
 * in an ActivityFailure; a local activity's (prepareOrder, the write-back) arrives unwrapped, except a
 * timeout or a cancellation. Both must say the same thing to the person reading the order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActivityFailure, ApplicationFailure, NexusOperationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { HandlerError } from 'nexus-rpc';
import { SOURCE_UNREACHABLE_ERROR_TYPE, UNCERTAIN_CREATE_ERROR_TYPE } from '../../contracts/activities';
import { causeMessage, describeFailure, isNeedsAttention, isSourceUnreachable, raiseEvidenceOf } from '../../workflows/failures';

const asActivityTask = (cause: Error) => new ActivityFailure('Activity task failed', 'prepareOrder', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
const asLocalActivity = (cause: Error) => cause;
/** A confined agent's activity, through the Nexus operation of its client's endpoint. */
const throughEndpoint = (cause: Error) =>
  new NexusOperationFailure('nexus operation completed unsuccessfully', 5, 'client-acme-omni', 'omniAgent', 'raiseInSource', 'token', asActivityTask(cause));

for (const [how, arrive] of [
  ['an activity task', asActivityTask],
  ['a local activity', asLocalActivity],
  ["a confined agent's activity", throughEndpoint],
] as const) {
  test(`${how}: a bad connection needs a person, told what to fix`, () => {
    const error = arrive(
      ApplicationFailure.create({ type: 'DomainValidationError', message: 'Connection bravo-isync: endpoint: must be an http(s) URL', nonRetryable: true }),
    );
    assert.equal(isNeedsAttention(error), true);
    assert.equal(isSourceUnreachable(error), false);
    assert.equal(describeFailure(error), 'Connection bravo-isync: endpoint: must be an http(s) URL');
  });

  test(`${how}: a source that does not answer is a wait, not a person's problem`, () => {
    const error = arrive(ApplicationFailure.create({ type: SOURCE_UNREACHABLE_ERROR_TYPE, message: 'Omni did not answer', nonRetryable: true }));
    assert.equal(isSourceUnreachable(error), true);
    assert.equal(isNeedsAttention(error), false);
    assert.equal(causeMessage(error), 'Omni did not answer');
  });

  test(`${how}: a Stock2Shop failure that retries can cure is not a person's problem`, () => {
    const error = arrive(ApplicationFailure.create({ type: 'TransientError', message: 'Stock2Shop answered 503' }));
    assert.equal(isNeedsAttention(error), false);
    assert.equal(describeFailure(error), 'Stock2Shop answered 503');
  });
}

test('the raise (an activity task): its retry window running out after an uncertain create needs a person, never "not raised"', () => {
  const timeout = new TimeoutFailure('timed out', undefined, TimeoutType.SCHEDULE_TO_CLOSE);
  (timeout as { cause?: Error }).cause = ApplicationFailure.create({ type: UNCERTAIN_CREATE_ERROR_TYPE, message: 'no clear answer' });
  const error = asActivityTask(timeout);
  assert.equal(isNeedsAttention(error), true);
  assert.match(describeFailure(error), /^cannot confirm whether the order exists in the source/);
});

test("a local activity's short window running out (a timeout around nothing) is not a person's problem: the call goes on as an activity task", () => {
  const error = asActivityTask(new TimeoutFailure('Local Activity timed out', undefined, TimeoutType.SCHEDULE_TO_CLOSE));
  assert.equal(isNeedsAttention(error), false);
  assert.equal(isSourceUnreachable(error), false);
});

test('what the raise knew of its creates is read from its failure, from the last error of a window that ran out, or from its last heartbeat', () => {
  const evidence = { createSentAt: 1_700_000_000_000, source: 'Omni Accounts' };
  const unreachable = ApplicationFailure.create({ type: SOURCE_UNREACHABLE_ERROR_TYPE, message: 'down', nonRetryable: true, details: [evidence] });
  assert.deepEqual(raiseEvidenceOf(asActivityTask(unreachable)), evidence);
  const ranOut = new TimeoutFailure('timed out', undefined, TimeoutType.SCHEDULE_TO_CLOSE);
  (ranOut as { cause?: Error }).cause = ApplicationFailure.create({
    type: 'TransientError',
    message: '503',
    details: [{ createSentAt: null, source: 'iSync' }],
  });
  assert.deepEqual(raiseEvidenceOf(asActivityTask(ranOut)), { createSentAt: null, source: 'iSync' }, 'a find proved it absent');
  const heartbeat = new TimeoutFailure('heartbeat', { stage: 'creating', createSentAt: 5 }, TimeoutType.HEARTBEAT);
  assert.equal(raiseEvidenceOf(asActivityTask(heartbeat))?.createSentAt, 5);
  assert.equal(raiseEvidenceOf(asActivityTask(ApplicationFailure.create({ message: 'an older agent says nothing' }))), undefined);
});

test("a confined agent's endpoint refusing the request itself needs a person, told why", () => {
  const refusal = new HandlerError('UNAUTHENTICATED', 'Refused: its grant was not made by the central side for this request');
  const error = new NexusOperationFailure('nexus operation completed unsuccessfully', 5, 'client-acme-omni', 'omniAgent', 'raiseInSource', undefined, refusal);
  assert.equal(isNeedsAttention(error), true);
  assert.equal(isSourceUnreachable(error), false);
  assert.match(describeFailure(error), /Refused: its grant was not made by the central side/);
});
