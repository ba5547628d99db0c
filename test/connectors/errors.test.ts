/** classifyHttpFailure on fabricated axios errors: the class chosen, and that credentials never survive it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { z } from 'zod';
import { AuthenticationError, MalformedAnswerError, RejectedBySourceError, TransientError } from '../../connectors/errors';
import { classifyHttpFailure, parseRetryAfter } from '../../connectors/classify';
import { redactUrl, scrub } from '../../connectors/redaction';
import { assertNoSecrets } from './helpers';

const PASSWORD = 'Tr1cky P@ss&word=(x)';
const TOKEN = 'tok_9f8e7d6c5b4a';
const URL_WITH_CREDENTIALS =
  `http://127.0.0.1:8080/Sales%20Order/?UserName=Guest&Password=${encodeURIComponent(PASSWORD)}` + `&CompanyName=Client++%28PTY%29LTD&token=${TOKEN}`;

function axiosFailure(options: { code?: string; status?: number; data?: unknown; headers?: Record<string, string> }): AxiosError {
  const config = {
    url: URL_WITH_CREDENTIALS,
    method: 'post',
    params: { Password: PASSWORD, token: TOKEN },
    data: JSON.stringify({ UserName: 'demo', Password: PASSWORD }),
    headers: new AxiosHeaders({ Authorization: `Bearer ${TOKEN}` }),
  } as unknown as InternalAxiosRequestConfig;
  const request = { path: `/Sales%20Order/?Password=${encodeURIComponent(PASSWORD)}`, _header: `POST ${URL_WITH_CREDENTIALS}` };
  const response =
    options.status === undefined
      ? undefined
      : {
          status: options.status,
          statusText: '',
          data: options.data,
          headers: new AxiosHeaders(options.headers ?? {}),
          config,
          request,
        };
  // Axios' own messages do not hold the URL; a proxy or an older adapter may: make the worst case.
  const error = new AxiosError(`Request to ${URL_WITH_CREDENTIALS} failed`, options.code, config, request, response);
  return error;
}

const secrets = [PASSWORD, TOKEN];

test('connection refused → TransientError, source unreachable, nothing of the request kept', () => {
  const error = classifyHttpFailure('omni', 'createOrder', axiosFailure({ code: 'ECONNREFUSED' }), { secrets });
  assert.ok(error instanceof TransientError);
  assert.equal(error.sourceUnreachable, true);
  assert.equal(error.system, 'omni');
  assert.equal(error.operation, 'createOrder');
  assert.equal(error.retryable, true);
  assertNoSecrets(error, secrets);
  const cause = error.cause as Record<string, unknown>;
  assert.equal(cause.config, undefined);
  assert.equal(cause.request, undefined);
  assert.equal(cause.response, undefined);
});

test('credentials are redacted even when the caller did not name them as secrets', () => {
  const error = classifyHttpFailure('stock2shop', 'pushProducts', axiosFailure({ code: 'ECONNRESET' }));
  assertNoSecrets(error, secrets);
});

test('statuses: 401/403 auth, 429 and 5xx transient, other 4xx rejected with the source message verbatim', () => {
  const auth = classifyHttpFailure('omni', 'ping', axiosFailure({ status: 401, data: '{"error":"Invalid username or password"}' }), {
    secrets,
    login: 'user "Guest" of company "X"',
  });
  assert.ok(auth instanceof AuthenticationError);
  assert.match(auth.message, /Omni Accounts refused the login of user "Guest" of company "X" \(401\): Invalid username or password/);
  assertNoSecrets(auth, secrets);

  assert.ok(classifyHttpFailure('isync', 'Ping', axiosFailure({ status: 403 })) instanceof AuthenticationError);

  const limited = classifyHttpFailure('stock2shop', 'pushProducts', axiosFailure({ status: 429, headers: { 'Retry-After': '7' } }));
  assert.ok(limited instanceof TransientError);
  assert.equal(limited.retryAfterMs, 7000);
  assert.equal(limited.sourceUnreachable, false);

  const down = classifyHttpFailure('isync', 'GetProducts', axiosFailure({ status: 502, data: '<html>bad gateway</html>' }));
  assert.ok(down instanceof TransientError);
  assert.equal(down.status, 502);
  assert.equal(down.sourceUnreachable, false);

  const rejected = classifyHttpFailure('omni', 'createOrder', axiosFailure({ status: 422, data: JSON.stringify({ error: 'Stock code X not found' }) }));
  assert.ok(rejected instanceof RejectedBySourceError);
  assert.equal(rejected.sourceMessage, 'Stock code X not found');
  assert.equal(rejected.message, 'Stock code X not found');
  assert.equal(rejected.status, 422);
  assert.equal(rejected.retryable, false);
});

test('a source message echoing the password is scrubbed', () => {
  const error = classifyHttpFailure('isync', 'CreateOrder', axiosFailure({ status: 422, data: { Result: 'Error', Message: `Bad password ${PASSWORD}` } }), {
    secrets,
  });
  assert.ok(error instanceof RejectedBySourceError);
  assertNoSecrets(error, secrets);
});

test('timeouts are transient and mean the source is unreachable', () => {
  for (const code of ['ECONNABORTED', 'ETIMEDOUT']) {
    const error = classifyHttpFailure('omni', 'findOrder', axiosFailure({ code }), { timeoutMs: 1500 });
    assert.ok(error instanceof TransientError);
    assert.equal(error.sourceUnreachable, true);
    assert.match(error.message, /1500 ms/);
  }
});

test('a ZodError becomes MalformedAnswerError naming the first failing path', () => {
  const parsed = z.object({ stock_items: z.array(z.object({ STOCKCODE: z.string() })) }).safeParse({
    stock_items: [{ STOCKCODE: 'A' }, { STOCKCODE: 4 }],
  });
  assert.equal(parsed.success, false);
  const error = classifyHttpFailure('omni', 'listProducts', parsed.error);
  assert.ok(error instanceof MalformedAnswerError);
  assert.equal(error.path, 'stock_items[1].STOCKCODE');
  assert.match(error.message, /listProducts.*stock_items\[1\]\.STOCKCODE/);
});

test('Retry-After: seconds or an HTTP date', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('2', now), 2000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('redactUrl and scrub', () => {
  assert.equal(
    redactUrl('http://h/Sales%20Order/?UserName=Guest&Password=abc&CompanyName=X'),
    'http://h/Sales%20Order/?UserName=Guest&Password=***&CompanyName=X',
  );
  assert.equal(redactUrl('/orders?source_id=1&token=xyz'), '/orders?source_id=1&token=***');
  assert.equal(scrub(`said ${PASSWORD} and ${encodeURIComponent(PASSWORD)}`, [PASSWORD]), 'said *** and ***');
});

test('errors serialise to safe JSON', () => {
  const error = classifyHttpFailure('omni', 'createOrder', axiosFailure({ code: 'ECONNREFUSED' }), { secrets });
  const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;
  assert.equal(json.name, 'TransientError');
  assert.equal(json.kind, 'transient');
  assert.equal(json.sourceUnreachable, true);
});
