import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AgentGrantKeyError,
  generateGrantKeys,
  grantAllows,
  signGrant,
  signingKeyFromEnv,
  verifyKeyFromEnv,
  verifyKeyText,
  type GrantSubject,
} from '../../temporal/agent-grant';

const pair = generateGrantKeys();
const signing = signingKeyFromEnv({ AGENT_GRANT_SIGNING_KEY: pair.signingKey })!;
const verifying = verifyKeyFromEnv({ AGENT_GRANT_VERIFY_KEY: pair.verifyKey })!;
const raise: GrantSubject = {
  connectionId: 'acme-omni',
  operation: 'raise',
  orderCode: 'WEB-1',
  document: { reference: 'WEB-1', lines: [{ sku: 'KETTLE-01', qty: 2 }] },
};

test('a grant allows exactly the subject it was made for', () => {
  const grant = signGrant(signing, raise);
  assert.equal(grantAllows(verifying, grant, raise), true);
  for (const other of [
    { ...raise, connectionId: 'cobalt-omni' },
    { ...raise, orderCode: 'WEB-2' },
    { ...raise, document: { reference: 'WEB-1', lines: [{ sku: 'KETTLE-01', qty: 999 }] } },
    { connectionId: 'acme-omni', operation: 'catalog' } as const,
  ]) {
    assert.equal(grantAllows(verifying, grant, other), false, JSON.stringify(other));
  }
});

test('a grant of another key, an altered grant or no grant at all allows nothing', () => {
  const otherKey = signingKeyFromEnv({ AGENT_GRANT_SIGNING_KEY: generateGrantKeys().signingKey })!;
  assert.equal(grantAllows(verifying, signGrant(otherKey, raise), raise), false);
  const grant = signGrant(signing, raise);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: grant.length - 1 }),
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      (at, char) => {
        fc.pre(grant[at] !== char);
        return !grantAllows(verifying, grant.slice(0, at) + char + grant.slice(at + 1), raise);
      },
    ),
  );
  for (const junk of [undefined, null, 42, '', 'A'.repeat(86), { grant }]) assert.equal(grantAllows(verifying, junk, raise), false);
});

test('the keys: the public half derives from the private one; a key that is not one is named, never echoed', () => {
  assert.equal(verifyKeyText(signing), pair.verifyKey);
  assert.throws(
    () => signingKeyFromEnv({ AGENT_GRANT_SIGNING_KEY: 'not-a-key' }),
    (error: Error) => error instanceof AgentGrantKeyError && !error.message.includes('not-a-key'),
  );
  assert.throws(() => verifyKeyFromEnv({ AGENT_GRANT_VERIFY_KEY: pair.signingKey }), AgentGrantKeyError);
  assert.equal(signingKeyFromEnv({}), undefined);
});
