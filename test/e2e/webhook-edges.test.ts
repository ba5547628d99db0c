/**
 * The order webhook's hardened edges, attacked from another loopback address (127.0.0.2) while
 * Stock2Shop calls from 127.0.0.1: the source is named in the path and everything cheap is checked
 * before a byte of the body is read; sockets and body bytes are capped in all and per address; a
 * slow-header socket is closed; a captured call replayed is refused, also by a second intake sharing
 * the Postgres replay cache; and through it all a valid call is answered 202.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { IntakeServer } from '../../client/intake';
import { raiseOrderWorkflowId } from '../../domain';
import { migrate } from '../../store/migrate';
import { PostgresWebhookNonces } from '../../store/webhook-nonces';
import { startDevServer } from '../helpers/temporal';
import { OMNI_CONNECTION_ID, startStack, WEBHOOK_SECRETS, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/orders';
import { postgresForTests } from '../helpers/postgres';
import { callWebhook, orderNotification, orderWebhookUrl, startSignedIntake, stock2shopSignature } from '../helpers/webhook';

const ACME_SECRET = WEBHOOK_SECRETS['acme-omni'];
const ATTACKER = '127.0.0.2';
const postgres = postgresForTests('webhook_edges');

/** A socket from `localAddress` that sends `head` (and nothing more unless told): what the server answers, or that it closed. */
function openRaw(url: string, head: string, localAddress = ATTACKER): { socket: Socket; answer: Promise<string>; closed: Promise<void> } {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), localAddress });
  socket.on('error', () => undefined);
  socket.write(head);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const answer = closed.then(() => text);
  return { socket, answer, closed };
}

const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

/** The head of a POST that looks signed (right form, fresh timestamp) and declares `length` body bytes it never sends. */
function signedLookingHead(path: string, length: number, signature = `sha256=${'0'.repeat(64)}`): string {
  const timestamp = Math.floor(Date.now() / 1000);
  return (
    `POST ${path} HTTP/1.1\r\nhost: intake\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n` +
    `x-stock2shop-timestamp: ${timestamp}\r\nx-stock2shop-signature: ${signature}\r\n\r\n`
  );
}

describe('the order webhook’s hardened edges', () => {
  let env: TestWorkflowEnvironment;
  let stack: Stack;
  let intake: IntakeServer;
  const logLines: string[] = [];

  before(async () => {
    env = await startDevServer();
    stack = await startStack(env, { omniItems: [] });
    intake = await startSignedIntake(env.client, stack, {
      headersTimeoutMs: 3_000,
      bodyTimeoutMs: 3_000,
      limits: { maxConnectionsPerAddress: 16, maxBytesInFlightPerAddress: 4 * 1024 * 1024 },
      log: (line) => logLines.push(JSON.stringify(line)),
    });
  });
  after(async () => {
    await intake?.close();
    await stack?.close();
    await env?.teardown();
  });

  const valid = (code: string) =>
    callWebhook(orderWebhookUrl(intake.url, 101), { body: orderNotification(101, { channel_order_code: code }), secret: ACME_SECRET });
  const assertNoWorkflow = (code: string) =>
    assert.rejects(env.client.workflow.getHandle(raiseOrderWorkflowId(OMNI_CONNECTION_ID, code)).describe(), WorkflowNotFoundError);

  test('a call that names no source, an unknown source, or is unsigned is answered before its body is sent', async () => {
    const cases: [string, string, number, RegExp][] = [
      ['no source', signedLookingHead('/webhooks/orders', 1_000_000), 400, /names no source/],
      ['unknown source', signedLookingHead('/webhooks/orders/303', 1_000_000), 401, /no connection with a webhook secret for source 303/],
      ['not a source id', signedLookingHead('/webhooks/orders/..%2F101', 1_000_000), 404, /names no source id/],
      ['unsigned', `POST /webhooks/orders/101 HTTP/1.1\r\nhost: intake\r\ncontent-length: 1000000\r\n\r\n`, 401, /"reason":"unsigned"/],
      ['malformed signature', signedLookingHead('/webhooks/orders/101', 1_000_000, 'sha256=zz'), 401, /malformed signature/],
    ];
    for (const [name, head, status, reason] of cases) {
      // Not a byte of the 1 MB body is sent: an answer proves nothing waited for it (and no HMAC ran).
      const raw = openRaw(intake.url, head);
      assert.equal(statusOf(await raw.answer), status, name);
      assert.ok(
        logLines.some((line) => reason.test(line)),
        `${name}: logged ${reason}`,
      );
    }
    const told = await fetch(`${intake.url}/webhooks/orders`, { method: 'POST', body: '{}' });
    assert.equal(told.status, 400);
    assert.match(((await told.json()) as { error: string }).error, /\/webhooks\/orders\/<source_id>/);
  });

  test('a body signed with one source’s secret for another source’s path, or naming another source, is refused', async () => {
    const body = orderNotification(202, { channel_order_code: 'EDGE-CROSSED' });
    const crossed = await callWebhook(orderWebhookUrl(intake.url, 101), { body, secret: ACME_SECRET });
    assert.equal(crossed.status, 401);
    assert.ok(logLines.some((line) => /signature not valid for source 202/.test(line)));
    const otherPath = await callWebhook(orderWebhookUrl(intake.url, 202), { body, secret: ACME_SECRET });
    assert.equal(otherPath.status, 401);
    await assertNoWorkflow('EDGE-CROSSED');
  });

  test('a captured call replayed within the tolerance is refused; Stock2Shop’s fresh signature of the same order is not', async () => {
    const body = orderNotification(101, { channel_order_code: 'EDGE-REPLAY' });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = stock2shopSignature(ACME_SECRET, timestamp, body);
    const first = await callWebhook(orderWebhookUrl(intake.url, 101), { body, timestamp, signature });
    assert.equal(first.status, 202);
    const replayed = await callWebhook(orderWebhookUrl(intake.url, 101), { body, timestamp, signature });
    assert.equal(replayed.status, 401);
    assert.ok(logLines.some((line) => /replay: this signed call was already accepted/.test(line)));
    // The same order announced again by Stock2Shop is a new call with its own timestamp: delivered.
    const again = await callWebhook(orderWebhookUrl(intake.url, 101), { body, timestamp: timestamp + 1, secret: ACME_SECRET });
    assert.equal(again.status, 202);
  });

  test('slow-header sockets beyond an address’s share are closed at once, the rest at the header deadline; a valid call is served meanwhile', async () => {
    let closed = 0;
    const sockets = Array.from({ length: 40 }, () => openRaw(intake.url, 'POST /webhooks/orders/101 HTTP/1.1\r\nhost: in'));
    for (const socket of sockets) void socket.closed.then(() => (closed += 1));
    await waitFor(async () => (closed >= 24 ? true : undefined), 'the sockets beyond the share of 127.0.0.2 to be closed');
    assert.equal(closed, 24, 'the share of 127.0.0.2 (16 sockets) is held until the header deadline');
    const answer = await valid('EDGE-DURING-SLOW-HEADERS');
    assert.equal(answer.status, 202);
    await Promise.all(sockets.map((s) => s.closed));
  });

  test('slow bodies hold no more than an address’s share of bytes; beyond it they are refused (503) before being read; a valid call is served', async () => {
    const slow = Array.from({ length: 10 }, () => openRaw(intake.url, signedLookingHead('/webhooks/orders/101', 1_000_000)));
    await waitFor(async () => (intake.held().bytesInFlight >= 4_000_000 ? true : undefined), 'the share of 127.0.0.2 to be held');
    assert.ok(intake.held().bytesInFlight <= 4 * 1024 * 1024, `in flight: ${intake.held().bytesInFlight}`);
    const answer = await valid('EDGE-DURING-SLOW-BODIES');
    assert.equal(answer.status, 202);
    const statuses = await Promise.all(slow.map(async (s) => statusOf(await s.answer)));
    assert.equal(statuses.filter((s) => s === 503).length, 6, `statuses: ${statuses.join()}`);
    assert.equal(statuses.filter((s) => s === 408).length, 4, `statuses: ${statuses.join()}`);
    assert.equal(intake.held().bytesInFlight, 0);
  });

  test('two intakes sharing the Postgres replay cache: a call accepted by one is refused by the other', async () => {
    const pool = postgres.pool(await postgres.freshDatabase());
    await migrate(pool);
    const second = await startSignedIntake(env.client, stack, { nonces: new PostgresWebhookNonces(pool) });
    const first = await startSignedIntake(env.client, stack, { nonces: new PostgresWebhookNonces(pool) });
    try {
      const body = orderNotification(101, { channel_order_code: 'EDGE-SHARED-REPLAY' });
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = stock2shopSignature(ACME_SECRET, timestamp, body);
      assert.equal((await callWebhook(orderWebhookUrl(first.url, 101), { body, timestamp, signature })).status, 202);
      assert.equal((await callWebhook(orderWebhookUrl(second.url, 101), { body, timestamp, signature })).status, 401);
      assert.equal((await pool.query('SELECT count(*)::int AS n FROM webhook_nonces')).rows[0].n, 1);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
