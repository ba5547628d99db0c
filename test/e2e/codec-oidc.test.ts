/**
 * The codec server in OIDC mode, as production runs it behind a Web UI with `codec.passAccessToken`:
 * an identity provider served by this test on loopback (discovery document and JWKS), tokens minted
 * with jose. The right role decodes; a wrong role, issuer, audience, key or algorithm, an expired or
 * not-yet-valid token, or none, is refused with one log line that holds no token, and decodes nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import { defaultPayloadConverter } from '@temporalio/common';
import { startCodecServer, type CodecServer } from '../../client/codec-server';
import type { OidcCodecAuth } from '../../client/codec-auth';
import { EncryptionCodec, generateKeyRingText, parseKeyRing } from '../../temporal/payload-codec';

const AUDIENCE = 'temporal-codec';
const ROLE = 'codec-reader';
const KID = 'idp-key-1';
const uiOrigin = 'https://temporal-ui.example.com';
const codec = new EncryptionCodec(parseKeyRing(generateKeyRingText()));
const logLines: Record<string, unknown>[] = [];

let idp: Server;
let issuer: string;
let jwksRequests = 0;
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let server: CodecServer;
let nested: CodecServer;
let encoded: { payloads: { metadata: Record<string, string>; data: string }[] };

const toJson = (payload: ReturnType<typeof defaultPayloadConverter.toPayload>) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});
const original = { payloads: [toJson(defaultPayloadConverter.toPayload({ customer: 'Sipho Dlamini', phone: '+27 82 555 0101' }))] };

before(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  idp = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/.well-known/openid-configuration') return response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` }));
    if (request.url === '/jwks.json') {
      jwksRequests += 1;
      return response.end(JSON.stringify({ keys: [jwk] }));
    }
    response.statusCode = 404;
    response.end('{}');
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  const auth: OidcCodecAuth = { kind: 'oidc', issuer, audience: AUDIENCE, roleClaim: 'roles', role: ROLE };
  server = await startCodecServer({ codec, auth, port: 0, allowedOrigins: [uiOrigin], log: (line) => logLines.push(line) });
  // Keycloak's layout, and the JWKS named outright instead of discovered.
  nested = await startCodecServer({
    codec,
    auth: { ...auth, roleClaim: 'realm_access.roles', jwksUrl: `${issuer}/jwks.json` },
    port: 0,
    allowedOrigins: [uiOrigin],
    log: (line) => logLines.push(line),
  });
  encoded = { payloads: (await codec.encode([defaultPayloadConverter.toPayload({ customer: 'Sipho Dlamini', phone: '+27 82 555 0101' })])).map(toJson) };
});
after(async () => {
  await server?.close();
  await nested?.close();
  await new Promise((resolve) => idp?.close(resolve));
});

interface Mint {
  claims?: JWTPayload;
  issuer?: string;
  audience?: string;
  key?: CryptoKey;
  expiresAt?: number;
  notBefore?: number;
}
const now = () => Math.floor(Date.now() / 1000);
function mint({ claims = { roles: [ROLE] }, issuer: iss = issuer, audience = AUDIENCE, key = signingKey, expiresAt = now() + 300, notBefore }: Mint = {}) {
  const jwt = new SignJWT({ sub: 'thandi@example.com', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'at+jwt' })
    .setIssuer(iss)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expiresAt);
  if (notBefore !== undefined) jwt.setNotBefore(notBefore);
  return jwt.sign(key);
}

const decode = (token: string | undefined, to = server) =>
  fetch(`${to.url}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: uiOrigin, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(encoded),
  });

test('the Web UI user with the role decodes, as the Web UI sends it (Authorization: Bearer <access token>)', async () => {
  const response = await decode(await mint());
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('access-control-allow-origin'), uiOrigin);
  assert.deepEqual(await response.json(), original);
  // Several roles, or the role in a space-separated string (as `scope` is), are as good.
  for (const roles of [['viewer', ROLE], `viewer ${ROLE}`]) {
    const again = await decode(await mint({ claims: { roles } }));
    assert.equal(again.status, 200, JSON.stringify(roles));
    await again.arrayBuffer();
  }
  assert.ok(jwksRequests >= 1, "the keys came from the issuer's JWKS, found through its discovery document");
});

test('a role claim nested in the token (realm_access.roles) is read too', async () => {
  const response = await decode(await mint({ claims: { realm_access: { roles: [ROLE] } } }), nested);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), original);
  const without = await decode(await mint({ claims: { realm_access: { roles: ['viewer'] } } }), nested);
  assert.equal(without.status, 403);
  await without.arrayBuffer();
});

test('every token that is not a right one is refused, decodes nothing, and is logged once without the token', async () => {
  const hs256 = await new SignJWT({ roles: [ROLE] })
    .setProtectedHeader({ alg: 'HS256', kid: KID })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setExpirationTime(now() + 300)
    .sign(new TextEncoder().encode('a secret anyone could guess, for the HMAC confusion'));
  const cases: [string, string | undefined, number, RegExp][] = [
    ['no token', undefined, 401, /no bearer token/],
    ['wrong role', await mint({ claims: { roles: ['viewer'] } }), 403, /forbidden: no 'codec-reader' in 'roles'/],
    ['no role claim', await mint({ claims: {} }), 403, /forbidden/],
    ['role in another claim', await mint({ claims: { groups: [ROLE] } }), 403, /forbidden/],
    ['wrong issuer', await mint({ issuer: 'https://evil.example' }), 401, /ERR_JWT_CLAIM_VALIDATION_FAILED \(iss\)/],
    ['wrong audience', await mint({ audience: 'another-api' }), 401, /ERR_JWT_CLAIM_VALIDATION_FAILED \(aud\)/],
    ['expired', await mint({ expiresAt: now() - 3600 }), 401, /ERR_JWT_EXPIRED/],
    ['not yet valid', await mint({ notBefore: now() + 3600 }), 401, /ERR_JWT_CLAIM_VALIDATION_FAILED \(nbf\)/],
    ['signed with another key', await mint({ key: otherKey }), 401, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/],
    [
      'alg none',
      new UnsecuredJWT({ roles: [ROLE] })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setExpirationTime(now() + 300)
        .encode(),
      401,
      /unauthorized/,
    ],
    ['HS256', hs256, 401, /ERR_JOSE_ALG_NOT_ALLOWED/],
    ['not a JWT', 'opaque-access-token', 401, /unauthorized/],
  ];
  for (const [what, token, status, reason] of cases) {
    logLines.length = 0;
    const response = await decode(token);
    assert.equal(response.status, status, what);
    const body = await response.text();
    assert.ok(!body.includes('Sipho'), `${what}: nothing decoded`);
    assert.deepEqual(JSON.parse(body), { error: status === 401 ? 'unauthorized' : 'forbidden' }, what);
    if (status === 401) assert.equal(response.headers.get('www-authenticate'), 'Bearer', what);
    assert.equal(logLines.length, 1, `${what}: one log line`);
    assert.match(String(logLines[0]!.reason), reason, what);
    assert.equal(logLines[0]!.status, status, what);
    if (token) {
      const logged = JSON.stringify(logLines);
      for (const part of token.split('.').filter((p) => p.length > 8)) assert.ok(!logged.includes(part), `${what}: the token is not logged`);
    }
  }
});

test('an OIDC configuration that cannot be trusted stops the start', async () => {
  const start = (auth: Partial<OidcCodecAuth>) =>
    startCodecServer({ codec, auth: { kind: 'oidc', issuer, audience: AUDIENCE, roleClaim: 'roles', role: ROLE, ...auth }, port: 0, allowedOrigins: [] });
  // The discovery document names its own issuer: one with a trailing slash is another issuer.
  await assert.rejects(start({ issuer: `${issuer}/` }), /is the configuration of issuer/);
  await assert.rejects(start({ issuer: 'http://idp.example.com' }), /must be an https URL/);
  await assert.rejects(start({ jwksUrl: 'http://idp.example.com/jwks.json' }), /must be an https URL/);
});
