/**
 * One log line format for the whole stack: the webhook's (intake) lines, as `npm start` writes them
 * (`intakeLogTo(logLineWriter('intake'))`), have the workers' shape: `time`, `level`, `component`,
 * `message` first, the same level names, one JSON object a line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { intakeLogTo, startIntakeServer } from '../../client/intake';
import { logLineWriter, runtimeLogger } from '../../worker/observability';

const env = { CONNECTIONS_FILE: '/nonexistent/connections.json', LOG_LEVEL: 'INFO' };
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function captured(): { out: (text: string) => void; lines: () => Record<string, unknown>[]; text: () => string } {
  let text = '';
  return {
    out: (chunk) => (text += chunk),
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

test("the webhook's lines carry time and level, in the workers' shape and level names", async () => {
  const intakeOut = captured();
  const intake = await startIntakeServer({
    client: {} as Client, // a refused call never reaches Temporal
    connections: () => [],
    webhookSecretOf: () => undefined,
    log: intakeLogTo(logLineWriter('intake', env, intakeOut.out)),
  });
  try {
    const answer = await fetch(`${intake.url}/webhooks/orders/101`, { method: 'POST', body: '{"instruction":"add_order"}' });
    assert.equal(answer.status, 401);
  } finally {
    await intake.close();
  }
  const workerOut = captured();
  const logger = runtimeLogger('central', env, workerOut.out);
  logger.warn('Worker version stock2shop-engine/abc is not current', { buildId: 'abc' });
  logger.info('Worker state changed', { state: 'RUNNING' });
  logger.debug('not written at INFO');

  const [refused] = intakeOut.lines();
  const [warned, informed, ...rest] = workerOut.lines();
  assert.equal(rest.length, 0, 'below LOG_LEVEL is not written');
  assert.ok(intakeOut.text().endsWith('\n') && intakeOut.text().split('\n').length === 2, 'one JSON object a line');
  for (const line of [refused!, warned!, informed!]) {
    assert.deepEqual(Object.keys(line).slice(0, 4), ['time', 'level', 'component', 'message']);
    assert.match(String(line.time), ISO_TIME);
  }
  assert.deepEqual([refused!.level, refused!.component, refused!.message, refused!.status], ['warn', 'intake', 'webhook_rejected', 401]);
  assert.equal(typeof refused!.reason, 'string');
  // The Temporal runtime's WARN / INFO are written as the intake's and the registry's own: warn, info.
  assert.deepEqual([warned!.level, warned!.component, warned!.buildId], ['warn', 'central', 'abc']);
  assert.equal(informed!.level, 'info');
});

test("a source's refusal is logged by its type, never its words (they may quote a customer)", async () => {
  const { ApplicationFailure } = await import('@temporalio/common');
  const out = captured();
  const logger = runtimeLogger('central', { LOG_LEVEL: 'INFO' }, out.out);
  const failure = ApplicationFailure.nonRetryable('Omni Accounts refused createOrder (400): Customer account Thandi Nkosi not found', 'RejectedBySourceError');
  logger.warn('Activity failed', { error: failure, activityType: 'raiseInSource' });
  logLineWriter('central', {}, out.out)({ level: 'warn', message: 'Activity failed', error: failure });
  assert.doesNotMatch(out.text(), /Thandi|Nkosi/);
  assert.match(out.text(), /"type":"RejectedBySourceError"/);
});
