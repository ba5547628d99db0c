/**
 * The codec server over real HTTP, in token mode (the CLI's bearer header) and in loopback mode (the
 * demo's Web UI: no token, CORS, its origin only), and every way a request is turned away. No secret
 * is ever taken from a path. OIDC mode: codec-oidc.test.ts.
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
let loopback: Awaited<ReturnType<typeof startCodecServer>>;

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

const codec = new EncryptionCodec(parseKeyRing(generateKeyRingText()));
before(async () => {
  server = await startCodecServer({ codec, auth: { kind: 'token', token }, port: 0, allowedOrigins: [uiOrigin], log: (line) => logLines.push(line) });
  loopback = await startCodecServer({ codec, auth: { kind: 'loopback' }, port: 0, allowedOrigins: [uiOrigin], log: (line) => logLines.push(line) });
});
after(async () => {
  await server?.close();
  await loopback?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}, to = server) =>
  fetch(`${to.url}${path}`, {
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

test('the endpoint handed to the Web UI and the CLI carries no secret', () => {
  for (const running of [server, loopback]) {
    assert.equal(running.uiEndpoint, `${running.url}/codec`);
    assert.ok(!running.uiEndpoint.includes(token));
  }
});

test('a wrong or missing token is 401, generic, and logged without the token', async () => {
  logLines.length = 0;
  const wrong = 'x'.repeat(token.length);
  for (const response of [
    await post('/codec/decode', original),
    await post('/codec/decode', original, { authorization: `Bearer ${wrong}` }),
    await post('/codec/decode', original, { authorization: token }),
    await post('/codec/decode', original, { authorization: `Basic ${token}` }),
  ]) {
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(await response.json(), { error: 'unauthorized' });
  }
  assert.equal(logLines.length, 4);
  assert.deepEqual(logLines[1], {
    event: 'codec request rejected',
    reason: 'unauthorized',
    method: 'POST',
    path: '/codec/decode',
    status: 401,
    namespace: 'default',
  });
  assert.ok(!JSON.stringify(logLines).includes(wrong));
  assert.ok(!JSON.stringify(logLines).includes(token));
});

test('a token in the path is no route at all: 404, nothing decoded, the segment not logged', async () => {
  logLines.length = 0;
  const encoded = await (await post('/codec/encode', original, bearer)).json();
  for (const path of [`/codec/${token}/decode`, `/codec/${token}/encode`, '/codec//decode', '/codec/anything/decode']) {
    for (const to of [server, loopback]) {
      const response = await post(path, encoded, { origin: uiOrigin }, to);
      assert.equal(response.status, 404, path);
      assert.deepEqual(await response.json(), { error: 'not found' });
    }
  }
  assert.ok(logLines.every((line) => line.status === 404));
  assert.ok(!JSON.stringify(logLines).includes(token));
  assert.ok(logLines.some((line) => line.path === '/codec/:redacted/decode'));
});

test('loopback mode: a loopback caller decodes without a token, from the Web UI or with no Origin', async () => {
  const encoded = await (await post('/codec/encode', original, {}, loopback)).json();
  const fromCli = await post('/codec/decode', encoded, {}, loopback);
  assert.equal(fromCli.status, 200);
  assert.deepEqual(await fromCli.json(), original);
  const fromUi = await post('/codec/decode', encoded, { origin: uiOrigin }, loopback);
  assert.equal(fromUi.status, 200);
  assert.equal(fromUi.headers.get('access-control-allow-origin'), uiOrigin);
  assert.equal(fromUi.headers.get('access-control-allow-credentials'), 'true');
  assert.match(fromUi.headers.get('vary') ?? '', /Origin/);
  assert.deepEqual(await fromUi.json(), original);
});

test("loopback mode: another site's page, or a name rebound to 127.0.0.1, is 403 and decodes nothing", async () => {
  logLines.length = 0;
  const encoded = await (await post('/codec/encode', original, {}, loopback)).json();
  for (const origin of ['https://evil.example', 'null', 'http://localhost:1']) {
    const response = await post('/codec/decode', encoded, { origin }, loopback);
    assert.equal(response.status, 403, origin);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.deepEqual(await response.json(), { error: 'forbidden' });
  }
  // A DNS-rebinding page reaches 127.0.0.1 under its own name: its Host says so.
  const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(`${loopback.url}/codec/decode`, {
      method: 'POST',
      headers: { host: 'evil.example:8091', 'content-type': 'application/json' },
    });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(encoded));
  });
  assert.equal(rebound.status, 403);
  assert.ok(!rebound.body.includes('Sipho'));
  assert.deepEqual(
    logLines.map((line) => line.reason),
    [
      'forbidden: Origin is not the Web UI',
      'forbidden: Origin is not the Web UI',
      'forbidden: Origin is not the Web UI',
      'forbidden: Host is not a loopback name',
    ],
  );
});

test('loopback mode refuses to listen anywhere but loopback', async () => {
  await assert.rejects(
    startCodecServer({ codec, auth: { kind: 'loopback' }, host: '0.0.0.0', port: 0, allowedOrigins: [uiOrigin], log: () => undefined }),
    /loopback only, not 0\.0\.0\.0/,
  );
});

test('a preflight from the allowed origin is 204 with the CORS headers', async () => {
  for (const [path, to] of [
    ['/codec/decode', server],
    ['/codec/encode', loopback],
  ] as const) {
    const response = await fetch(`${to.url}${path}`, {
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
  assert.equal((await post('/decode', original, bearer)).status, 404);
});
