/**
 * The order webhook only believes Stock2Shop: every call that is not signed by the source's secret,
 * is stale or from the future, too large, too slow or not JSON is refused with a generic answer and
 * starts no workflow; and a validly signed call whose order content differs from Stock2Shop's
 * raises Stock2Shop's content only. Each refusal is one structured log line with its reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { IntakeServer } from '../../client/intake';
import { SIGNATURE_TOLERANCE_SECONDS } from '../../client/webhook-request';
import { raiseOrderWorkflowId } from '../../domain';
import type { OrderStatus } from '../../contracts/workflows';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, runBothWorkers, startStack, WEBHOOK_SECRETS, type Stack } from '../helpers/stack';
import { makeOrder, waitFor } from '../helpers/orders';
import { callWebhook, orderNotification, orderWebhookUrl, startSignedIntake, stock2shopSignature } from '../helpers/webhook';

const ACME_SECRET = WEBHOOK_SECRETS['acme-omni'];
const BRAVO_SECRET = WEBHOOK_SECRETS['bravo-isync'];
/** Appears in every refused body: it must never reach a log line. */
const BODY_MARKER = 'body-marker-7f3a';

describe('the signed order webhook', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let intake: IntakeServer;
  let workers: { stop(): Promise<void> } | undefined;
  const logLines: string[] = [];
  const refusedCodes: string[] = [];

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, {
      omniItems: [{ STOCKCODE: 'KETTLE-01', DESCRIPTION: 'Kettle', EXTRADTLS8: 'ACTIVE', SELLINGPRICE1: 349.99, OAvailable: 12 }],
    });
    workers = await runBothWorkers(stack);
    intake = await startSignedIntake(env.client, stack, { bodyTimeoutMs: 1_000, log: (line) => logLines.push(JSON.stringify(line)) });
  });
  after(async () => {
    await intake?.close();
    await workers?.stop();
    await stack?.close();
    await env?.teardown();
  });

  const url = () => orderWebhookUrl(intake.url, 101);
  const notification = (code: string, extra: Record<string, unknown> = {}) =>
    orderNotification(101, { channel_order_code: code, notes: BODY_MARKER, ...extra });

  async function assertRefused(code: string, answer: { status: number; body: unknown }, status: number, reason: RegExp): Promise<void> {
    refusedCodes.push(code);
    assert.equal(answer.status, status);
    assert.equal(Object.keys(answer.body as object).join(), 'error', 'a generic answer: one short error word');
    assert.doesNotMatch(JSON.stringify(answer.body), new RegExp(`${BODY_MARKER}|signature|secret|timestamp`));
    const line = logLines.find((l) => l.includes('webhook_rejected') && reason.test(l));
    assert.ok(line, `a log line with the reason ${reason}; got ${logLines.join('\n')}`);
    await assert.rejects(env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).describe(), WorkflowNotFoundError);
  }

  test('an unsigned call is refused (401)', async () => {
    const answer = await callWebhook(url(), { body: notification('SEC-UNSIGNED') });
    await assertRefused('SEC-UNSIGNED', answer, 401, /"reason":"unsigned"/);
  });

  test('a wrong signature is refused (401), as is a source signed with another source’s secret', async () => {
    const wrong = await callWebhook(url(), { body: notification('SEC-WRONG'), secret: 'guessed-secret' });
    await assertRefused('SEC-WRONG', wrong, 401, /"reason":"wrong signature"/);
    const crossed = await callWebhook(url(), { body: notification('SEC-CROSSED'), secret: BRAVO_SECRET });
    await assertRefused('SEC-CROSSED', crossed, 401, /"reason":"wrong signature"/);
    const tampered = notification('SEC-TAMPERED');
    const timestamp = Math.floor(Date.now() / 1000);
    const signedOther = stock2shopSignature(ACME_SECRET, timestamp, notification('SEC-OTHER'));
    const replayed = await callWebhook(url(), { body: tampered, timestamp, signature: signedOther });
    await assertRefused('SEC-TAMPERED', replayed, 401, /"reason":"wrong signature"/);
  });

  test('a stale timestamp (a replay) and one from the future are refused (401)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stale = await callWebhook(url(), { body: notification('SEC-STALE'), secret: ACME_SECRET, timestamp: now - SIGNATURE_TOLERANCE_SECONDS - 1 });
    await assertRefused('SEC-STALE', stale, 401, /stale timestamp/);
    // The intake reads its clock a moment later than `now`, possibly in the next second: a margin
    // of a few seconds keeps a timestamp just past the tolerance from landing back inside it.
    const futureTimestamp = now + SIGNATURE_TOLERANCE_SECONDS + 5;
    const future = await callWebhook(url(), { body: notification('SEC-FUTURE'), secret: ACME_SECRET, timestamp: futureTimestamp });
    await assertRefused('SEC-FUTURE', future, 401, /in the future/);
  });

  test('a 5 MB body is refused (413) without being read to the end', async () => {
    const huge = notification('SEC-HUGE', { padding: 'x'.repeat(5 * 1024 * 1024) });
    const answer = await callWebhook(url(), { body: huge, secret: ACME_SECRET });
    await assertRefused('SEC-HUGE', answer, 413, /over the limit/);
    // Sent without a length (chunked), it is cut off at the limit too.
    const chunked = await rawPost(url(), [Buffer.from(huge.slice(0, 2 * 1024 * 1024))], { secret: ACME_SECRET, body: huge });
    assert.equal(chunked.status, 413);
  });

  test('a client too slow to send its body is refused (408)', async () => {
    const body = notification('SEC-SLOW');
    const answer = await rawPost(url(), [Buffer.from(body.slice(0, 10))], { secret: ACME_SECRET, body, declaredLength: Buffer.byteLength(body) });
    assert.equal(answer.status, 408);
    await assertRefused('SEC-SLOW', { status: 408, body: JSON.parse(answer.text) }, 408, /not received within/);
  });

  test('a signed body that is not JSON is refused (400)', async () => {
    const answer = await callWebhook(url(), { body: `{"channel_order_code":"SEC-NOTJSON", ${BODY_MARKER}`, secret: ACME_SECRET });
    await assertRefused('SEC-NOTJSON', answer, 400, /not JSON/);
  });

  test('a signed call whose order content differs from Stock2Shop’s raises Stock2Shop’s content only', async () => {
    const genuine = makeOrder('SEC-FORGED-1', [{ sku: 'KETTLE-01', qty: 1, price: 304.34 }]);
    void stack.stock2shop.addOrder({ ...genuine, sources: [{ source_id: 101 }] });
    const forged = { ...genuine, customer: { first_name: 'Mallory' }, line_items: [{ sku: 'KETTLE-01', qty: 99, price: 0.01 }] };
    const answer = await callWebhook(url(), { body: orderNotification(101, forged), secret: ACME_SECRET });
    assert.equal(answer.status, 202);
    const result = (await env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, 'SEC-FORGED-1')).result()) as OrderStatus;
    assert.equal(result.state, 'raised');
    const documents = stack.omni.orders().filter((d) => d.reference === 'SEC-FORGED-1');
    assert.equal(documents.length, 1);
    assert.deepEqual(
      documents[0]!.order_lines.map((l: { stock_code: string; quantity: number; selling_price: number }) => [l.stock_code, l.quantity, l.selling_price]),
      [['KETTLE-01', 1, 304.34]],
    );
    assert.doesNotMatch(JSON.stringify(documents[0]), /Mallory/);
  });

  test('no refused call started a workflow (visibility), and no log line holds a body', async () => {
    await waitFor(
      async () => ((await env.client.workflow.count(`ChannelOrderCode = 'SEC-FORGED-1'`)).count === 1 ? true : undefined),
      'visibility to list the accepted order',
    );
    for (const code of refusedCodes) {
      assert.equal((await env.client.workflow.count(`ChannelOrderCode = '${code}'`)).count, 0, `no workflow for ${code}`);
    }
    assert.ok(refusedCodes.length >= 9);
    assert.ok(
      logLines.every((line) => !line.includes(BODY_MARKER) && !line.includes(ACME_SECRET)),
      'logs hold no body and no secret',
    );
  });
});

/** A POST that sends `chunks` and then stalls (or ends when every chunk is the whole body): a slow or chunked client. */
function rawPost(
  target: string,
  chunks: Buffer[],
  options: { secret: string; body: string; declaredLength?: number },
): Promise<{ status: number; text: string }> {
  const timestamp = Math.floor(Date.now() / 1000);
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-stock2shop-timestamp': String(timestamp),
        'x-stock2shop-signature': stock2shopSignature(options.secret, timestamp, options.body),
        ...(options.declaredLength === undefined ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(options.declaredLength) }),
      },
    });
    req.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    // Never ended: the server must answer by itself (413 at the limit, 408 at the deadline).
  });
}
