/**
 * The codec server over real HTTP: what the Web UI (token in the path, CORS) and the CLI (bearer
 * header) do, and every way a request is turned away.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { defaultPayloadConverter } from '@temporalio/common';
import { startCodecServer } from '../../client/codec-server';
import { EncryptionCodec, generateKeyRingText, parseKeyRing } from '../../temporal/payload-codec';

const token = randomBytes(24).toString('base64url');
const uiOrigin = 'http://localhost:8233';
const logLines: Record<string, unknown>[] = [];
let server: Awaited<ReturnType<typeof startCodecServer>>;

// The proto3 JSON the Web UI sends: every bytes field base64.
const toJson = (payload: ReturnType<typeof defaultPayloadConverter.toPayload>) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const original = {
  payloads: [
    toJson(defaultPayloadConverter.toPayload({ customer: 'Sipho Dlamini', phone: '+27 82 555 0101' })),
    toJson(defaultPayloadConverter.toPayload('Sipho Dlamini')),
  ],
};

before(async () => {
  server = await startCodecServer({
    codec: new EncryptionCodec(parseKeyRing(generateKeyRingText())),
    token,
    port: 0,
    allowedOrigins: [uiOrigin],
    log: (line) => logLines.push(line),
  });
});
after(() => server?.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const bearer = { authorization: `Bearer ${token}` };

test('encode then decode with the bearer header gives back the original payloads', async () => {
  const encodedResponse = await post('/codec/encode', original, bearer);
  assert.equal(encodedResponse.status, 200);
  const encoded = (await encodedResponse.json()) as typeof original;
  assert.equal(encoded.payloads.length, 2);
  assert.equal(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString(), 'binary/encrypted');
  for (const payload of encoded.payloads) assert.ok(!Buffer.from(payload.data, 'base64').includes('Sipho'));

  const decodedResponse = await post('/codec/decode', encoded, bearer);
  assert.equal(decodedResponse.status, 200);
  assert.deepEqual(await decodedResponse.json(), original);
});

test('the Web UI path with the token as a segment encodes and decodes, with CORS for its origin', async () => {
  assert.equal(server.uiEndpoint, `${server.url}/codec/${token}`);
  const path = new URL(server.uiEndpoint).pathname;
  const encoded = await (await post(`${path}/encode`, original, { origin: uiOrigin })).json();
  const response = await post(`${path}/decode`, encoded, { origin: uiOrigin });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), uiOrigin);
  assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
  assert.match(response.headers.get('vary') ?? '', /Origin/);
  assert.deepEqual(await response.json(), original);
});

test('a wrong or missing token is 401, generic, and logged without the token', async () => {
  logLines.length = 0;
  const wrong = 'x'.repeat(token.length);
  for (const response of [
    await post('/codec/decode', original),
    await post('/codec/decode', original, { authorization: `Bearer ${wrong}` }),
    await post('/codec/decode', original, { authorization: token }),
    await post(`/codec/${wrong}/decode`, original),
    await post('/codec//decode', original),
  ]) {
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { error: 'unauthorized' });
  }
  assert.equal(logLines.length, 5);
  assert.deepEqual(logLines[3], {
    event: 'codec request rejected',
    reason: 'unauthorized',
    method: 'POST',
    path: '/codec/:redacted/decode',
    status: 401,
    namespace: 'default',
  });
  assert.ok(!JSON.stringify(logLines).includes(wrong));
  assert.ok(!JSON.stringify(logLines).includes(token));
});

test('a preflight from the allowed origin is 204 with the CORS headers', async () => {
  for (const path of ['/codec/decode', `/codec/${token}/encode`]) {
    const response = await fetch(`${server.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin: uiOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), uiOrigin);
    assert.equal(response.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.equal(response.headers.get('access-control-allow-headers'), 'content-type, x-namespace, authorization');
    assert.equal(response.headers.get('access-control-max-age'), '600');
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
  }
});

test('another origin gets no CORS headers', async () => {
  const preflight = await fetch(`${server.url}/codec/decode`, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(preflight.headers.get('access-control-allow-origin'), null);
  assert.equal(preflight.headers.get('access-control-allow-methods'), null);
  const response = await post('/codec/decode', original, { ...bearer, origin: 'https://evil.example' });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), null);
  await response.arrayBuffer();
});

test('a body over 4 MB is 413', async () => {
  const big = JSON.stringify({ payloads: [{ data: Buffer.alloc(5 * 1024 * 1024).toString('base64') }] });
  const response = await post('/codec/decode', big, bearer);
  assert.equal(response.status, 413);
  await response.arrayBuffer();
});

test('a body over the limit without a Content-Length (chunked) is 413', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const request = http.request(`${server.url}/codec/encode`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' } });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.write('{"payloads":[{"data":"');
    for (let i = 0; i < 5; i++) request.write('A'.repeat(1024 * 1024));
    request.end('"}]}');
  });
  assert.equal(status, 413);
});

test('bad JSON or a wrong shape is 400', async () => {
  for (const body of [
    '{"payloads":',
    '[]',
    '{"payloads":{}}',
    '{"payloads":[{"data":5}]}',
    '{"payloads":[{"metadata":{"encoding":1}}]}',
    '{"payloads":[{"data":"%%%"}]}',
  ]) {
    const response = await post('/codec/decode', body, bearer);
    assert.equal(response.status, 400, body);
    assert.ok(((await response.json()) as { error: string }).error);
  }
});

test('a payload encrypted with a key the ring lacks is 422, naming the key id only', async () => {
  const other = new EncryptionCodec(parseKeyRing(generateKeyRingText('retired-key')));
  const [payload] = await other.encode([defaultPayloadConverter.toPayload('Sipho Dlamini')]);
  const response = await post('/codec/decode', { payloads: [toJson(payload!)] }, bearer);
  assert.equal(response.status, 422);
  const body = (await response.json()) as { error: string };
  assert.match(body.error, /retired-key/);
});

test('GET /health is 200; unknown paths are 404', async () => {
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
  assert.equal((await post('/codec/a/b/decode', original, bearer)).status, 404);
});
