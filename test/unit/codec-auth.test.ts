/** The one place the codec server's mode is chosen from the environment, and how each mode is told to a person. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codecAuthFromEnv, describeCodecAuth, isLoopbackHost } from '../../client/codec-auth';

const oidc = { CODEC_OIDC_ISSUER: 'https://idp.example.com/realms/ops', CODEC_OIDC_AUDIENCE: 'temporal-codec', CODEC_OIDC_ROLE: 'codec-reader' };

test('nothing set: loopback mode, said plainly', () => {
  assert.deepEqual(codecAuthFromEnv({}), { kind: 'loopback' });
  assert.deepEqual(codecAuthFromEnv({ CODEC_SERVER_TOKEN: '' }), { kind: 'loopback' });
  assert.match(describeCodecAuth({ kind: 'loopback' }), /anyone who can reach loopback on this machine/);
});

test('CODEC_SERVER_TOKEN: token mode; a short token is refused', () => {
  const token = 'a'.repeat(32);
  assert.deepEqual(codecAuthFromEnv({ CODEC_SERVER_TOKEN: token }), { kind: 'token', token });
  assert.throws(() => codecAuthFromEnv({ CODEC_SERVER_TOKEN: 'short' }), /at least 16 characters/);
  assert.ok(!describeCodecAuth({ kind: 'token', token }).includes(token));
});

test('CODEC_OIDC_ISSUER: OIDC mode, with the role claim defaulting to roles', () => {
  assert.deepEqual(codecAuthFromEnv(oidc), {
    kind: 'oidc',
    issuer: oidc.CODEC_OIDC_ISSUER,
    audience: 'temporal-codec',
    roleClaim: 'roles',
    role: 'codec-reader',
  });
  assert.deepEqual(codecAuthFromEnv({ ...oidc, CODEC_OIDC_ROLE_CLAIM: 'realm_access.roles', CODEC_OIDC_JWKS_URL: 'https://idp.example.com/certs' }), {
    kind: 'oidc',
    issuer: oidc.CODEC_OIDC_ISSUER,
    audience: 'temporal-codec',
    jwksUrl: 'https://idp.example.com/certs',
    roleClaim: 'realm_access.roles',
    role: 'codec-reader',
  });
});

test('half a configuration, or two modes at once, stops the start instead of falling back', () => {
  assert.throws(() => codecAuthFromEnv({ ...oidc, CODEC_OIDC_AUDIENCE: undefined }), /CODEC_OIDC_AUDIENCE must be too/);
  assert.throws(() => codecAuthFromEnv({ ...oidc, CODEC_OIDC_ROLE: '' }), /CODEC_OIDC_ROLE must be too/);
  assert.throws(() => codecAuthFromEnv({ CODEC_OIDC_AUDIENCE: 'temporal-codec', CODEC_OIDC_ROLE: 'r' }), /set without CODEC_OIDC_ISSUER/);
  assert.throws(() => codecAuthFromEnv({ ...oidc, CODEC_SERVER_TOKEN: 'a'.repeat(32) }), /not both/);
  assert.throws(() => codecAuthFromEnv({ ...oidc, CODEC_OIDC_ISSUER: 'not a url' }), /CODEC_OIDC_ISSUER/);
});

test('loopback names and addresses', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '10.0.0.5', '::', 'evil.example', '127.0.0.1.evil.example', '']) assert.ok(!isLoopbackHost(host), host);
});
